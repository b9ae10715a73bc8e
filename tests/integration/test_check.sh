#!/usr/bin/env bash
# meshcad check: every broken file gets its exact messages on stderr (syntax as
# FILE:LINE:COL, meaning as FILE: json.path) and exit 1; good files exit 0 with
# "ok: FILE (policy version SHA256, N roles)"; usage errors exit 2.
#   tests/data/check/policy/NAME.json  checked with --policy, NAME.expected is
#                                      the exact stderr
#   tests/data/check/config/NAME.json  checked with --config (their policy is
#                                      config/policy.json), in a copy of the
#                                      directory where ca.pem is a fresh key
# Key files the config names are read as serve would: a missing, unreadable,
# unparsable or group/world-readable one is named with the reason.
. "$(dirname "$0")/../lib/harness.sh"
D=$T_TMP/check
cp -r "$MESHCA_TOP/tests/data/check" "$D"
"$MESHCAD_BIN" keygen --out "$D/config/ca.pem" >/dev/null 2>>"$T_LOG" || bail "meshcad keygen failed"
"$MESHCAD_BIN" keygen --out "$D/config/log.pem" >/dev/null 2>>"$T_LOG" || bail "meshcad keygen failed"
(umask 077 && head -c 32 /dev/urandom >"$D/config/ledger.key")

run_check() {  # dir mode file -> sets out (stderr), so (stdout), rc
    out=$(cd "$1" && "$MESHCAD_BIN" check "$2" "$3" 2>"$T_TMP/err" >"$T_TMP/out"); rc=$?
    out=$(cat "$T_TMP/err"); so=$(cat "$T_TMP/out")
}

n=0
for exp in "$D"/policy/*.expected "$D"/config/*.expected; do
    dir=$(dirname "$exp"); base=$(basename "$exp" .expected)
    mode=--policy; [ "$(basename "$dir")" = config ] && mode=--config
    run_check "$dir" $mode "$base.json"
    check_eq "check $mode $base.json: exit 1" "$rc" 1
    check_eq "check $mode $base.json: exact messages" "$out" "$(cat "$exp")"
    check_eq "check $mode $base.json: nothing on stdout" "$so" ""
    n=$((n + 1))
done
check "at least 25 broken fixtures were checked (got $n)" test "$n" -ge 25

# Every problem of a file at once, in file order (the several fixtures).
check_eq "all three problems of policy/several.json are reported" \
    "$(grep -c . "$D/policy/several.expected")" 3
check_eq "config and policy problems are reported in the same run" \
    "$(grep -c . "$D/config/both_broken.expected")" 2

# Good files: exit 0, the version is the SHA-256 of the policy's bytes.
ver=$(sha256sum "$MESHCA_TOP/contrib/policy.example.json" | cut -d' ' -f1)
run_check "$MESHCA_TOP/contrib" --policy policy.example.json
check_eq "the example policy passes" "$rc" 0
check_eq "ok line names the file, version and roles" "$so" \
    "ok: policy.example.json (policy version $ver, 3 roles)"
check_eq "and prints nothing on stderr" "$out" ""
ver=$(sha256sum "$D/config/policy.json" | cut -d' ' -f1)
run_check "$D/config" --config good.json
check_eq "a good config (dummy key paths, no database) passes" "$rc" 0
check_eq "its ok line carries the policy's version" "$so" \
    "ok: good.json (policy version $ver, 2 roles)"

# --ttl-ceiling applies to --policy alone.
run_check "$D/config" --policy policy.json
check_eq "the config fixture's policy passes with the default 1h ceiling" "$rc" 0
out=$(cd "$D/config" && "$MESHCAD_BIN" check --policy policy.json --ttl-ceiling 10m 2>&1 >/dev/null); rc=$?
check_eq "--ttl-ceiling 10m: exit 1" "$rc" 1
check_eq "--ttl-ceiling 10m: names the role over it" "$out" \
    "policy.json: roles[0].max_ttl: 15m exceeds the ceiling 10m"

# A file that is not there.
run_check "$D/policy" --policy no-such-file.json
check_eq "a missing policy: exit 1" "$rc" 1
check_eq "a missing policy: says so" "$out" \
    "no-such-file.json: cannot open: No such file or directory"

# Key files (issue #13: a ca_keys path that does not exist passed check, and
# serve then said "system error (see errno)").
K=$T_TMP/keys
mkdir -p "$K"
cp "$D/config/policy.json" "$K/"
"$MESHCAD_BIN" keygen --out "$K/good.pem" >/dev/null 2>>"$T_LOG"
"$MESHCAD_BIN" keygen --out "$K/open.pem" >/dev/null 2>>"$T_LOG"
chmod 644 "$K/open.pem"
echo "not a key" >"$K/junk.pem"; chmod 600 "$K/junk.pem"
"$MESHCAD_BIN" keygen --out "$K/log.pem" >/dev/null 2>>"$T_LOG"
(umask 077 && head -c 32 /dev/urandom >"$K/ledger.key")
keys_config() {  # FILE CA_KEYS_JSON [EXTRA_JSON]
    jq -n --argjson keys "$2" --argjson extra "${3:-{\}}" \
        '{listen: "127.0.0.1:8443", database: "postgresql://x@127.0.0.1/x",
          ca_keys: $keys, policy: "policy.json",
          issuers: [{issuer: "https://idp.example.com", audiences: ["meshca"]}],
          ledger: {origin: "meshca.example.com/log", log_key: "log.pem", mac_key: "ledger.key"}} + $extra' >"$K/$1"
}
keys_config good.json '[{"path": "good.pem", "state": "active"}]'
run_check "$K" --config good.json
check_eq "a config with a real CA key passes" "$rc" 0
keys_config missing.json '[{"path": "good.pem", "state": "active"}, {"path": "nope.pem", "state": "next"}]'
run_check "$K" --config missing.json
check_eq "a ca_keys path that does not exist: exit 1" "$rc" 1
check_match "names the key and says it is not there" "$out" \
    '^missing.json: ca_keys\[1\].path: [^ ]*nope.pem: No such file or directory$'
keys_config open.json '[{"path": "open.pem", "state": "active"}]'
run_check "$K" --config open.json
check_eq "a group/world-readable CA key: exit 1" "$rc" 1
check_match "names the key and the permissions" "$out" \
    '^open.json: ca_keys\[0\].path: [^ ]*open.pem: private key file is readable by group or others'
keys_config junk.json '[{"path": "junk.pem", "state": "active"}]'
run_check "$K" --config junk.json
check_eq "a file that is not a key: exit 1" "$rc" 1
check_match "names it and says it holds no private key" "$out" \
    '^junk.json: ca_keys\[0\].path: [^ ]*junk.pem: file does not hold a private key'
keys_config tls.json '[{"path": "good.pem", "state": "active"}]' \
    '{"listen": "0.0.0.0:8443", "tls": {"cert": "no-cert.pem", "key": "open.pem"}}'
run_check "$K" --config tls.json
check_eq "broken TLS files: exit 1" "$rc" 1
check_match "the TLS key's permissions are named" "$out" 'tls.json: tls.key: [^ ]*open.pem: group or others can read it \(mode 0644\): chmod 600'
check_match "the missing TLS certificate is named" "$out" 'tls.json: tls.cert: [^ ]*no-cert.pem: No such file or directory'
# serve names the key too, instead of "system error (see errno)".
out=$("$MESHCAD_BIN" serve --config "$K/missing.json" 2>&1); rc=$?
check_fails "serve with a missing CA key fails" test "$rc" = 0
check_match "serve names the key file and the reason" "$out" 'ca_keys\[1\]: [^ ]*nope.pem: No such file or directory'
check_fails "serve no longer says only 'see errno'" grep -q 'see errno' <<<"$out"
# A CA key named twice, in one set or in both (check let a key listed twice
# in the user set pass; serve refused it): check and serve load the sets
# through one function and give the same reason.
for f in key_twice both_uses; do
    out=$(cd "$D/config" && "$MESHCAD_BIN" serve --config "$f.json" 2>&1); rc=$?
    check_fails "serve refuses $f.json as check does" test "$rc" = 0
    check "serve gives check's reason for $f.json" grep -qF \
        "$(sed "s/^$f.json: //" "$D/config/$f.expected")" <<<"$out"
done

# Usage errors exit 2 and print the usage on stderr.
for args in "" "--policy" "--config a.json --policy b.json" "--bogus x" \
    "--config a.json --ttl-ceiling 1h" "--policy p.json --ttl-ceiling forever"; do
    # shellcheck disable=SC2086
    "$MESHCAD_BIN" check $args >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
    check_eq "usage error (check $args): exit 2" "$rc" 2
    check "usage error (check $args): explained on stderr" test -s "$T_TMP/err"
done
check "check --help: exit 0" "$MESHCAD_BIN" check --help

# A policy fixed in place is accepted on the next run (CI loop): fix the typo.
cp "$D/policy/unknown_key.json" "$T_TMP/p.json"
check_fails "the typo is refused" "$MESHCAD_BIN" check --policy "$T_TMP/p.json"
sed -i 's/max_tll/max_ttl/' "$T_TMP/p.json"
check "once fixed it passes" "$MESHCAD_BIN" check --policy "$T_TMP/p.json"

# The ledger's keys are checked as serve reads them.
jq '.ledger.mac_key = "short.key" | .ledger.log_key = "nope.pem"' "$D/config/good.json" >"$D/config/ledger_keys.json"
(umask 077 && head -c 8 /dev/urandom >"$D/config/short.key")
run_check "$D/config" --config ledger_keys.json
check_eq "bad ledger keys: exit 1" "$rc" 1
check_match "a short MAC key is named, with how to make one" "$out" "ledger.mac_key .*short.key: must hold 32 to 128 random bytes.*head -c 32 /dev/urandom"
check_match "a missing log key is named" "$out" "ledger.log_key .*nope.pem"
