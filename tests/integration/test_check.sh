#!/usr/bin/env bash
# meshcad check: every broken file gets its exact messages on stderr (syntax as
# FILE:LINE:COL, meaning as FILE: json.path) and exit 1; good files exit 0 with
# "ok: FILE (policy version SHA256, N roles)"; usage errors exit 2.
#   tests/data/check/policy/NAME.json  checked with --policy, NAME.expected is
#                                      the exact stderr
#   tests/data/check/config/NAME.json  checked with --config (their policy is
#                                      config/policy.json; keys are dummies)
. "$(dirname "$0")/../lib/harness.sh"
D=$MESHCA_TOP/tests/data/check

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
