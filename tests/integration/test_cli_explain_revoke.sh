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
# The token's two sources are read alike: surrounding whitespace dropped
# (a Kubernetes secret or `echo` leaves a newline in the variable as in the
# file), anything that cannot be in a bearer token refused before it is
# put in a header.
out=$(MESHCA_ID_TOKEN="$(cat "$bob")"$'\n' "$MESHCA_BIN" explain --json 2>&1); rc=$?
check_eq "MESHCA_ID_TOKEN with a trailing newline: read as the file is (exit 1, denied)" "$rc" 1
check_match "the server's explanation, not a refused token" "$out" '"decision": "denied"'
{ cat "$bob"; printf '\nX-Injected: 1\n'; } >"$T_TMP/two-lines.tok"
out=$("$MESHCA_BIN" explain --token-file "$T_TMP/two-lines.tok" 2>&1); rc=$?
check_eq "a token file with a second line: a usage error (exit 2), nothing sent" "$rc" 2
check_match "saying what is wrong with it" "$out" 'two-lines.tok is not one token \(byte [0-9]+ is 0x0a; a token holds letters, digits and -._~\+/= only\)'
out=$(MESHCA_ID_TOKEN="$(cat "$bob") x" "$MESHCA_BIN" explain 2>&1); rc=$?
check_eq "MESHCA_ID_TOKEN with a space inside: exit 2" "$rc" 2
check_match "named" "$out" 'MESHCA_ID_TOKEN is not one token \(byte [0-9]+ is 0x20'
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
# A serial or key id never issued (issue #13: "revoked: serial 12345" and
# listed as a real revocation): 404 naming it, unless --force; the ledger
# row says whether the target was known.
out=$("$MESHCA_BIN" revoke --serial 12345 --reason typo --token-file "$carol" 2>&1); rc=$?
check_eq "revoke --serial never issued: exit 1" "$rc" 1
check_match "the server says the serial is not in the ledger" "$out" 'serial 12345 is not in the ledger.*--force'
check_fails "and does not say revoked" grep -q '^revoked' <<<"$out"
code=$(curl -s -o "$T_TMP/r" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$carol")" \
    --data '{"key_id":"nobody@example.com/x/1","reason":"typo"}' "$MESHCAD_URL/v1/revocations")
check_eq "POST /v1/revocations with an unknown key_id: 404" "$code" 404
check_match "naming the key id" "$(cat "$T_TMP/r")" 'key_id nobody@example.com/x/1 is not in the ledger'
code=$(curl -s -o "$T_TMP/r" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$carol")" \
    --data '{"serial":"12345","reason":"typo","force":"yes"}' "$MESHCAD_URL/v1/revocations")
check_eq "force must be a boolean: 400" "$code" 400
check_eq "nothing was recorded for them" "$(psql_admin -c "SELECT count(*) FROM revocations WHERE kind IN ('serial', 'key_id')")" 0
out=$("$MESHCA_BIN" revoke --serial 12345 --reason "pre-emptive" --force --token-file "$carol" 2>&1); rc=$?
check_eq "revoke --serial never issued --force: exit 0" "$rc" 0
check_match "revoked" "$out" '^revoked: serial 12345'
check_eq "the row records it was not a known certificate" "$(psql_admin -c "SELECT known FROM revocations WHERE kind = 'serial' AND value = '12345'")" f
issue "$(mint_token "$(claims_for alice '["payments-oncall"]')")" "{\"public_key\":\"$(user_key w)\",\"principals\":[\"payments/api\"]}"
check_eq "alice gets a certificate to revoke" "$HTTP_STATUS" 201
serial=$(echo "$HTTP_BODY" | jq -r .serial)
kid=$(echo "$HTTP_BODY" | jq -r .key_id)
out=$("$MESHCA_BIN" revoke --serial "$serial" --reason "laptop stolen" --token-file "$carol" 2>&1); rc=$?
check_eq "an issued serial is revoked without --force: exit 0" "$rc" 0
check_eq "and its row says known" "$(psql_admin -c "SELECT known FROM revocations WHERE kind = 'serial' AND value = '$serial'")" t
out=$("$MESHCA_BIN" revoke --key-id "$kid" --reason "laptop stolen" --token-file "$carol" 2>&1); rc=$?
check_eq "an issued key id is revoked without --force: exit 0" "$rc" 0
check_eq "the public key revoked above is known too" "$(psql_admin -c "SELECT known FROM revocations WHERE kind = 'key_fingerprint'")" f
# --block-until takes the times report --since and who --at take (it was
# handed to meshcad as typed, which reads only the ...Z form: `date
# -Iseconds`'s "+00:00" or a date was refused with HTTP 400).
until=$(date -u -d '+1 day' +%s)
out=$("$MESHCA_BIN" revoke --subject alice --reason "left" --block-until "$(date -u -d "@$until" -Iseconds)" --token-file "$carol" 2>&1); rc=$?
check_eq "revoke --subject --block-until with an offset (date -Iseconds): exit 0" "$rc" 0
check_eq "the block ends at that time" "$(psql_admin -c "SELECT extract(epoch FROM block_until)::bigint FROM revocations WHERE kind = 'subject' AND value = 'alice'")" "$until"
out=$("$MESHCA_BIN" revoke --subject alice --reason "left" --block-until 2099-01-01 --token-file "$carol" 2>&1); rc=$?
check_eq "a date: exit 0" "$rc" 0
check_eq "blocked until its UTC midnight" "$(psql_admin -c "SELECT max(extract(epoch FROM block_until))::bigint FROM revocations WHERE kind = 'subject' AND value = 'alice'")" "$(date -u -d 2099-01-01 +%s)"
out=$("$MESHCA_BIN" revoke --subject alice --reason "left" --block-until tomorrow --token-file "$carol" 2>&1); rc=$?
check_eq "--block-until tomorrow: a usage error (exit 2)" "$rc" 2
check_match "naming the forms" "$out" '--block-until tomorrow: RFC 3339 .*or a date'
# Explain tells what issuance will do (it answered "granted" for a blocked
# person and a revoked key, which issuance then refused with 403).
alice=$T_TMP/alice.tok; mint_token "$(claims_for alice '["payments-oncall"]')" >"$alice"
out=$("$MESHCA_BIN" explain --token-file "$alice" --principal payments/api 2>&1); rc=$?
check_eq "explain for a blocked person: denied (exit 1)" "$rc" 1
check_match "saying she is blocked, as issuance does" "$out" '^denied: new certificates for alice are blocked until 2099-01-01'
issue "$(cat "$alice")" "{\"public_key\":\"$(user_key w2)\",\"principals\":[\"payments/api\"]}"
check_eq "and issuance refuses her" "$HTTP_STATUS" 403
check_eq "with the reason explain gave" "$(echo "$HTTP_BODY" | jq -r .message)" "$(sed -n 's/^denied: //p' <<<"$out")"
code=$(curl -s -o "$T_TMP/r" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$bob")" \
    --data "{\"public_key\":\"$(cat "$T_TMP/v.pub")\",\"principals\":[\"payments/api\"],\"reason\":\"INC-7\"}" "$MESHCAD_URL/v1/explain")
check_eq "explain with a revoked public key: 200" "$code" 200
check_eq "denied" "$(jq -r .decision "$T_TMP/r")" denied
check_match "because the key is revoked" "$(jq -r .denial "$T_TMP/r")" '^this public key \(SHA256:.*\) has been revoked; make a new key$'
issue "$(cat "$bob")" "{\"public_key\":\"$(cat "$T_TMP/v.pub")\",\"principals\":[\"payments/api\"],\"reason\":\"INC-7\"}"
check_eq "issuance refuses that key" "$HTTP_STATUS" 403
check_eq "with the reason explain gave" "$(echo "$HTTP_BODY" | jq -r .message)" "$(jq -r .denial "$T_TMP/r")"
check "the ledger chain verifies with the new column" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"

"$MESHCA_BIN" revoke --serial 1 --reason x --token-file "$carol" --server http://127.0.0.1:1 >/dev/null 2>&1; rc=$?
check_eq "an unreachable server: exit 3" "$rc" 3
"$MESHCA_BIN" explain --server http://example.com --token-file "$bob" >/dev/null 2>&1; rc=$?
check_eq "plain http off loopback is refused: a usage error (exit 2)" "$rc" 2
