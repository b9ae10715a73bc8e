#!/usr/bin/env bash
# Genuine ID tokens from a real OpenID provider (npm oidc-provider, driven
# through its device-flow pages as a person would) against meshcad: they
# verify with keys found by discovery; after the provider rotates its key new
# tokens verify and old ones keep working; with the provider down, cached keys
# keep working; a fresh meshcad with no keys answers 503, not 401.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

idp_start
stack_init
stack_config_extra "{\"issuers\": [{\"issuer\": \"$IDP_URL\", \"audiences\": [\"meshca\"],
  \"key_refresh_interval\": \"1s\", \"max_certificates_per_token\": 5}],
  \"login\": {\"issuer\": \"$IDP_URL\", \"client_id\": \"meshca\"}}"
cp "$MESHCA_TOP/contrib/policy.example.json" "$T_TMP/policy.json"
stack_start

person() { node "$MESHCA_TOP/tests/idp/person.js" "$@" 2>>"$T_LOG"; }
tok_alice=$(person token "$IDP_URL" alice)
check "a genuine token was obtained through the device flow pages" test -n "$tok_alice"
issue "$tok_alice" "{\"public_key\":\"$(user_key a1)\"}"
check_eq "a genuine RS256 token from the provider gets a certificate" "$HTTP_STATUS" 201
check_eq "with alice's role's principals" "$(echo "$HTTP_BODY" | jq -c .principals)" '["payments/api","payments/worker"]'
tok_bob=$(person token "$IDP_URL" bob)
issue "$tok_bob" '{"principals":["payments/api"]}' /v1/explain
check_match "explain: bob's decision is explained (reason required)" "$HTTP_BODY" 'requires a reason'
check_eq "explain answers 200" "$HTTP_STATUS" 200

old_kid=$(echo "$tok_alice" | cut -d. -f1 | base64 -d 2>/dev/null | jq -r .kid)
new_kid=$(curl -fsS -X POST "$IDP_URL/_test/rotate" | jq -r .kid)
check "the provider rotated to a new key" test -n "$new_kid" -a "$new_kid" != "$old_kid"
tok_new=$(person token "$IDP_URL" alice)
check_eq "a token under the new key carries its kid" \
    "$(echo "$tok_new" | cut -d. -f1 | base64 -d 2>/dev/null | jq -r .kid)" "$new_kid"
sleep 1.1  # key_refresh_interval
issue "$tok_new" "{\"public_key\":\"$(user_key a2)\"}"
check_eq "after rotation a new-key token verifies (unknown kid -> refresh)" "$HTTP_STATUS" 201
issue "$tok_alice" "{\"public_key\":\"$(user_key a3)\"}"
check_eq "the old key's token keeps working until it expires" "$HTTP_STATUS" 201

kill "$IDP_PID"; wait "$IDP_PID" 2>/dev/null
issue "$tok_new" "{\"public_key\":\"$(user_key a4)\"}"
check_eq "provider down, keys cached: accepted" "$HTTP_STATUS" 201
check_match "refresh counters are exported" "$(curl -s "$MESHCAD_URL/metrics")" "meshca_key_refreshes_total\\{issuer=\"$IDP_URL\"\\} [1-9]"

# A second meshcad that never saw the provider's keys.
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
MESHCAD_PORT=$(free_port)
jq ".listen = \"127.0.0.1:$MESHCAD_PORT\"" "$T_TMP/meshcad.json" >"$T_TMP/m2.json"
MESHCAD_URL=http://127.0.0.1:$MESHCAD_PORT
meshcad_start "$T_TMP/m2.json"
issue "$tok_new" "{\"public_key\":\"$(user_key a5)\"}"
check_eq "provider down and no keys cached: 503, not 401" "$HTTP_STATUS" 503
check_match "the 503 says the provider's keys are unavailable" "$HTTP_BODY" 'keys are not available'
check_match "readyz names the identity problem" "$(curl -s "$MESHCAD_URL/readyz")" '"identity":"no keys for issuer'
