#!/usr/bin/env bash
# Genuine ID tokens from a real OpenID provider (npm oidc-provider, its
# device-flow pages driven over HTTP as a person would, tests/idp/person.js)
# through meshcad's verifier (api/identity.c, via tests/tools/verify-token,
# keys found by discovery): RS256 and ES256 tokens verify with the account's
# claims; after the provider rotates its key new tokens verify and the old
# key's tokens keep working; an unknown kid refetches the key set at most once
# per key_refresh_interval; with the provider down cached keys keep working
# until max_key_staleness; a verifier that never had keys answers
# keys_unavailable, which meshcad turns into 503 (not 401).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

VT_BIN=$BUILD/tests/tools/verify-token
[ -x "$VT_BIN" ] || bail "missing $VT_BIN (make test-build)"

b64d() {
    local s=${1//-/+}
    s=${s//_//}
    while ((${#s} % 4)); do s+="="; done
    printf '%s' "$s" | base64 -d 2>/dev/null
}
b64e() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
header_of() { b64d "${1%%.*}"; }
person() { node "$MESHCA_TOP/tests/idp/person.js" "$@" 2>>"$T_LOG"; }

# vt_config FILE [EXTRA_ISSUER_JSON]: a meshcad config whose only issuer is
# the provider, keys by discovery.
vt_config() {
    cat >"$1" <<EOF
{"listen": "127.0.0.1:1", "database": "postgresql://unused", "ca_keys": [{"path": "ca.pem"}],
 "policy": "policy.json",
 "ledger": {"origin": "meshca.test/log", "log_key": "log.pem", "mac_key": "ledger.key"},
 "issuers": [{"issuer": "$IDP_URL", "audiences": ["meshca", "meshca-es256"]${2:+, $2}}]}
EOF
}
# verify CONFIG [ARGS...] TOKEN...: verify-token's output lines.
verify() { local c=$1; shift; "$VT_BIN" --config "$c" "$@" 2>>"$T_LOG"; }

idp_start
vt_config "$T_TMP/vt.json" '"key_refresh_interval": "1s"'

# --- Genuine tokens -----------------------------------------------------
tok_alice=$(person token "$IDP_URL" alice)
tok_bob=$(person token "$IDP_URL" bob meshca-es256)
check "alice got a genuine ID token through the device flow pages" test -n "$tok_alice"
check "bob got one from the ES256 client" test -n "$tok_bob"
check_eq "the provider signed alice's token with RS256" "$(header_of "$tok_alice" | jq -r .alg)" RS256
check_eq "and bob's with ES256" "$(header_of "$tok_bob" | jq -r .alg)" ES256

out=$(verify "$T_TMP/vt.json" "$tok_alice" "$tok_bob"); rc=$?
check_eq "both genuine tokens verify (exit 0)" "$rc" 0
a=$(sed -n 1p <<<"$out"); b=$(sed -n 2p <<<"$out")
check_eq "RS256: verified" "$(jq -r .ok <<<"$a")" true
check_eq "RS256: sub is the account" "$(jq -r .sub <<<"$a")" alice
check_eq "RS256: the account's groups are extracted" "$(jq -c .groups <<<"$a")" '["payments-oncall"]'
check_eq "RS256: email and email_verified" "$(jq -r '"\(.email) \(.email_verified)"' <<<"$a")" "alice@example.com true"
check_eq "RS256: iss is the provider" "$(jq -r .iss <<<"$a")" "$IDP_URL"
check_eq "RS256: no jti, so the replay id is a SHA-256" "$(jq -r '.replay_id | test("^[0-9a-f]{64}$")' <<<"$a")" true
check_eq "ES256: verified" "$(jq -r .ok <<<"$b")" true
check_eq "ES256: bob's groups" "$(jq -c .groups <<<"$b")" '["payments-dev"]'
check_eq "ES256: auth_time is carried (max_token_age counts from it)" "$(jq -r '.auth_time > 0' <<<"$b")" true

# An account added to the provider's accounts file.
jq '. + {"dave": {"email": "dave@example.com", "groups": ["payments-oncall", "ledger-ro"], "name": "Dave"}}' \
    "$IDP_DIR/accounts.json" >"$IDP_DIR/accounts.new" && mv "$IDP_DIR/accounts.new" "$IDP_DIR/accounts.json"
tok_dave=$(person token "$IDP_URL" dave)
out=$(verify "$T_TMP/vt.json" "$tok_dave")
check_eq "an account added to accounts.json logs in and verifies with its groups" \
    "$(jq -c '[.sub, .groups]' <<<"$out")" '["dave",["payments-oncall","ledger-ro"]]'

# Genuine tokens, altered or misdirected.
h=${tok_alice%%.*}; rest=${tok_alice#*.}; p=${rest%%.*}; s=${rest#*.}
evil=$(b64d "$p" | jq -c '.groups = ["meshca-admins"]' | b64e)
out=$(verify "$T_TMP/vt.json" "$h.$evil.$s"); rc=$?
check_eq "a genuine token with its groups rewritten is refused (exit 1)" "$rc" 1
check_match "  because the signature no longer verifies" "$out" '"reason":"signature verification failed"'
out=$(verify "$T_TMP/vt.json" "$h.$p."); rc=$?
check_match "a genuine token with its signature stripped is refused" "$out" '"reason":"signature missing'
vt_config "$T_TMP/vt-other.json"
sed -i 's/"audiences": \["meshca", "meshca-es256"\]/"audiences": ["another-app"]/' "$T_TMP/vt-other.json"
out=$(verify "$T_TMP/vt-other.json" "$tok_alice")
check_match "a genuine token for another audience is refused" "$out" '"reason":"audience is not this service.s"'
out=$(verify "$T_TMP/vt.json" --now-offset 700 "$tok_alice")
check_match "a genuine token past its exp (600 s) + leeway is refused" "$out" '"reason":"token expired'

# --- Unknown kid: refetch, rate-limited --------------------------------
# A token naming a kid the provider does not have (its signature is not
# even looked at): each one may refetch the set, at most once per interval.
hdr_nope=$(header_of "$tok_alice" | jq -c '.kid = "no-such-kid"' | b64e)
tok_nope="$hdr_nope.$p.$s"
vt_config "$T_TMP/vt-slow.json" '"key_refresh_interval": "30s"'
out=$(printf '%s\n' "$tok_nope" "$tok_nope" "$tok_nope" "$tok_nope" "$tok_nope" |
    verify "$T_TMP/vt-slow.json" --metrics)
check_eq "five unknown-kid tokens are refused" "$(grep -c '"reason":"unknown key id (kid) no-such-kid"' <<<"$out")" 5
check_match "  with key_refresh_interval 30s they cause no fetch beyond the one at start" \
    "$out" "meshca_key_refreshes_total\\{issuer=\"$IDP_URL\"\\} 1
"
out=$(printf '%s\n' "$tok_nope" "$tok_nope" "$tok_nope" | verify "$T_TMP/vt.json" --pause-ms 1100 --metrics)
check_match "  with 1s and 1.1 s before each one, each refetches (1 + 3 fetches)" \
    "$out" "meshca_key_refreshes_total\\{issuer=\"$IDP_URL\"\\} 4
"

# --- A meshcad stack: a genuine token gets a certificate ----------------
stack_init
stack_config_extra "{\"issuers\": [{\"issuer\": \"$IDP_URL\", \"audiences\": [\"meshca\"],
  \"key_refresh_interval\": \"1s\", \"max_certificates_per_token\": 5}],
  \"login\": {\"issuer\": \"$IDP_URL\", \"client_id\": \"meshca\"}}"
cp "$MESHCA_TOP/contrib/policy.example.json" "$T_TMP/policy.json"
stack_start
issue "$tok_alice" "{\"public_key\":\"$(user_key a1)\"}"
check_eq "meshcad: a genuine RS256 token from the provider gets a certificate" "$HTTP_STATUS" 201
check_eq "meshcad: with alice's role's principals" "$(echo "$HTTP_BODY" | jq -c .principals)" '["payments/api","payments/worker"]'
issue "$h.$evil.$s" "{\"public_key\":\"$(user_key a0)\"}"
check_eq "meshcad: the rewritten token is 401" "$HTTP_STATUS" 401

# --- Rotation and outage, in one long-lived verifier --------------------
coproc VT { exec "$VT_BIN" --config "$T_TMP/vt.json" --metrics 2>>"$T_LOG"; }
# Own copies of the pipes and pid: bash forgets VT once the process ends.
vt_pid=$VT_PID
exec {vt_r}<&"${VT[0]}" {vt_w}>&"${VT[1]}"
eval "exec ${VT[0]}<&- ${VT[1]}>&-"
at_exit "kill $vt_pid"
VT_OUT=
vt() { echo "$1" >&"$vt_w"; read -r -t 30 VT_OUT <&"$vt_r" || VT_OUT="(no answer)"; }

vt "$tok_alice"
check_eq "long-lived verifier: alice's token under the first key verifies" "$(jq -r .ok <<<"$VT_OUT")" true
old_kid=$(header_of "$tok_alice" | jq -r .kid)
new_kid=$(curl -fsS -X POST "$IDP_URL/_test/rotate" | jq -r .kid)
check "the provider rotated to a new RS256 key" test -n "$new_kid" -a "$new_kid" != "$old_kid"
sleep 1.1  # the verifier's key_refresh_interval (1 s) since its last fetch must pass before the unknown kid may be fetched (a rate limit, not a wait for an event); the new second also makes the token differ
tok_new=$(person token "$IDP_URL" alice)
check_eq "a token after rotation carries the new kid" "$(header_of "$tok_new" | jq -r .kid)" "$new_kid"
vt "$tok_new"
check_eq "after rotation the new key's token verifies (unknown kid -> refetch)" "$(jq -r .ok <<<"$VT_OUT")" true
vt "$tok_alice"
check_eq "the old key's token keeps verifying until it expires" "$(jq -r .ok <<<"$VT_OUT")" true

# Stress: four threads verify good tokens under both keys while tokens with
# an unknown kid make the set be refetched and swapped (interval 0) again
# and again; run under ASan too (make test SAN=1).
vt_config "$T_TMP/vt-zero.json" '"key_refresh_interval": "0s"'
out=$(verify "$T_TMP/vt-zero.json" --threads 4 --repeat 100 --metrics "$tok_new" "$tok_alice" "$tok_nope")
check_eq "4 threads x 100 rounds during constant key-set swaps: every good token verified, every forged one refused" \
    "$(head -n 1 <<<"$out" | jq -c '[.verified, .invalid, .unavailable]')" '[800,400,0]'
swaps=$(sed -n "s/^meshca_key_refreshes_total{issuer=\"[^\"]*\"} //p" <<<"$out")
check "  and the key set was fetched and swapped meanwhile (${swaps:-0} times)" test "${swaps:-0}" -ge 20

kill "$IDP_PID"; wait "$IDP_PID" 2>/dev/null
check_fails "the provider is down" curl -fsS "$IDP_URL/.well-known/openid-configuration"
vt "$tok_new"
check_eq "provider down, keys cached: the token still verifies" "$(jq -r .ok <<<"$VT_OUT")" true
vt "300 $tok_new"
check_eq "five minutes later, still within max_key_staleness: verifies" "$(jq -r .ok <<<"$VT_OUT")" true
sleep 1.1  # the verifier's key_refresh_interval (1 s) must pass: a rate limit, not a wait for an event
vt "86500 $tok_new"
check_eq "past max_key_staleness (24 h) with the provider still down: keys_unavailable" \
    "$(jq -r .error <<<"$VT_OUT")" keys_unavailable
check_match "  saying the cached keys are stale and why they were not refreshed" "$VT_OUT" \
    'keys of issuer .* are stale \(fetched [0-9]+ s ago, at most 86400 s\): fetching .* failed'
exec {vt_w}>&-
metrics=
while read -r -t 30 line <&"$vt_r"; do metrics+="$line"$'\n'; done
wait "$vt_pid" 2>/dev/null
check_match "metrics: two successful fetches (start, rotation)" "$metrics" \
    "meshca_key_refreshes_total\\{issuer=\"$IDP_URL\"\\} 2"
check_match "metrics: the failed fetch while the provider was down" "$metrics" \
    "meshca_key_refresh_failures_total\\{issuer=\"$IDP_URL\"\\} [1-9]"
check_match "metrics: three keys held (RS256 new and old, ES256)" "$metrics" \
    "meshca_issuer_keys\\{issuer=\"$IDP_URL\"\\} 3"

# --- Never had keys ----------------------------------------------------
out=$(verify "$T_TMP/vt.json" "$tok_new"); rc=$?
check_eq "a fresh verifier with the provider down: exit 2 (keys unavailable)" "$rc" 2
check_match "  reason: no keys for the issuer, with the fetch error" "$out" \
    '"error":"keys_unavailable","reason":"no keys for issuer http://127.0.0.1:[0-9]+: fetching http://127.0.0.1:[0-9]+/.well-known/openid-configuration failed'

# The same through meshcad: 503 with Retry-After, not 401, and not ready.
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
MESHCAD_PORT=$(free_port)
jq ".listen = \"127.0.0.1:$MESHCAD_PORT\"" "$T_TMP/meshcad.json" >"$T_TMP/m2.json"
MESHCAD_URL=http://127.0.0.1:$MESHCAD_PORT
meshcad_start "$T_TMP/m2.json"
issue "$tok_new" "{\"public_key\":\"$(user_key a5)\"}"
check_eq "meshcad with the provider down and no keys cached: 503, not 401" "$HTTP_STATUS" 503
check_match "  the 503 says the provider's keys are unavailable" "$HTTP_BODY" 'keys are not available'
check_match "  readyz names the identity problem" "$(curl -s "$MESHCAD_URL/readyz")" '"identity":"no keys for issuer'
