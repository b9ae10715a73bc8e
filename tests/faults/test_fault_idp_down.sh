#!/usr/bin/env bash
# Fault: the identity provider goes down.  Tokens signed with cached keys keep
# working; a token with an unknown kid is refused cleanly (401, or 503 while no
# keys can be had), never a crash or a hang.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
idp_start
stack_init
cp "$MESHCA_TOP/contrib/policy.example.json" "$T_TMP/policy.json"
# Fetch keys over HTTP from the real provider: the issuer is the provider.
STACK_ISSUER=$IDP_URL
stack_config_extra "{\"issuers\": [{\"issuer\": \"$IDP_URL\", \"audiences\": [\"meshca\"], \"key_refresh_interval\": \"1s\"}]}"
stack_start
tok=$(node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice 2>>"$T_LOG")
check "a genuine token was obtained from the provider" test -n "$tok"
kill "$IDP_PID"; wait "$IDP_PID" 2>/dev/null
issue "$tok" "{\"public_key\":\"$(user_key a)\",\"principals\":[\"payments/api\"]}"
check_match "with the provider down, a token under cached keys still verifies (got $HTTP_STATUS)" "$HTTP_STATUS" "^201$"
bad=$(mint_token "$(claims_for mallory '["bench"]')")
issue "$bad" "{\"public_key\":\"$(user_key m)\"}"
check_match "an unknown kid is refused cleanly (got $HTTP_STATUS)" "$HTTP_STATUS" '^(401|503)$'
check "meshcad survived" kill -0 "$MESHCAD_PID"
