#!/usr/bin/env bash
# meshca explain and meshca revoke against a running meshcad: explain prints
# the decision role by role and its exit status says granted or denied;
# revoke records a revocation (admins), is idempotent, and refuses a
# non-admin with the server's reason.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
stack_init
cp "$MESHCA_TOP/contrib/policy.example.json" "$T_TMP/policy.json"
stack_start
export MESHCA_SERVER=$MESHCAD_URL
bob=$T_TMP/bob.tok; mint_token "$(claims_for bob '["payments-dev"]')" >"$bob"
carol=$T_TMP/carol.tok; mint_token "$(claims_for carol '["meshca-admins"]')" >"$carol"

out=$("$MESHCA_BIN" explain --token-file "$bob" --principal payments/api 2>&1); rc=$?
check_eq "explain: bob without a reason is denied (exit 1)" "$rc" 1
check_match "and told the role wants a reason" "$out" 'denied: role payments-debug requires a reason'
check_match "role by role" "$out" 'role payments-oncall +no match: none of your groups'
out=$("$MESHCA_BIN" explain --token-file "$bob" --principal payments/api --reason INC-7 --ttl 1h 2>&1); rc=$?
check_eq "explain: with a reason, granted (exit 0)" "$rc" 0
check_match "with the TTL capped and why" "$out" 'granted by role payments-debug: payments/api for 600s \(asked 1h, capped by max_ttl 10m'
out=$(MESHCA_ID_TOKEN=$(cat "$bob") "$MESHCA_BIN" explain --json 2>&1)
check_match "explain --json is the server's explanation" "$out" '"decision": "denied"'
check_eq "explain recorded no issuance" "$(psql_admin -c 'SELECT count(*) FROM certificates')" 0

user_key v >/dev/null
out=$("$MESHCA_BIN" revoke --public-key "$T_TMP/v.pub" --reason "key leaked" --token-file "$carol" 2>&1); rc=$?
check_eq "revoke --public-key by an admin: exit 0" "$rc" 0
check_match "says what was revoked" "$out" '^revoked: key_fingerprint SHA256:.* \(by carol@example.com\)'
out=$("$MESHCA_BIN" revoke --public-key "$T_TMP/v.pub" --reason "again" --token-file "$carol" 2>&1)
check_match "revoking again is idempotent" "$out" '^already revoked:'
out=$("$MESHCA_BIN" revoke --serial 42 --reason x --token-file "$bob" 2>&1); rc=$?
check_eq "revoke by a non-admin: exit 1" "$rc" 1
check_match "with the server's reason and request id" "$out" 'needs an administrator.*HTTP 403, request [0-9a-f]{32}'
"$MESHCA_BIN" revoke --serial 42 --token-file "$carol" >/dev/null 2>&1; rc=$?
check_eq "revoke without --reason: usage error (exit 2)" "$rc" 2
"$MESHCA_BIN" revoke --serial 1 --reason x --token-file "$carol" --server http://127.0.0.1:1 >/dev/null 2>&1; rc=$?
check_eq "an unreachable server: exit 3" "$rc" 3
"$MESHCA_BIN" explain --server http://example.com --token-file "$bob" >/dev/null 2>&1; rc=$?
check_eq "plain http off loopback is refused" "$rc" 3
