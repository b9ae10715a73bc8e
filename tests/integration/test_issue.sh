#!/usr/bin/env bash
# meshcad's issuance path end to end against real PostgreSQL and sshd:
# a token gets a certificate that ssh-keygen reads and sshd accepts, with a
# complete ledger row; denials, replays, oversized and garbage bodies are
# refused with the right status and recorded where they must be.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_start

# Public endpoints
check "GET /healthz answers" curl -fsS "$MESHCAD_URL/healthz"
curl -fsS "$MESHCAD_URL/v1/ca-keys" >"$T_TMP/trusted.pub" 2>>"$T_LOG"
check_eq "GET /v1/ca-keys serves the CA key" "$(cut -d' ' -f1-2 "$T_TMP/trusted.pub")" "$(cut -d' ' -f1-2 "$T_TMP/ca.pub")"
check "GET /readyz is ready" curl -fsS "$MESHCAD_URL/readyz"
cfg=$(curl -fsS "$MESHCAD_URL/v1/config" 2>>"$T_LOG")
check_match "GET /v1/config lists the CA fingerprint" "$cfg" '"ca_fingerprints":\["SHA256:'

# A good issuance
pub=$(user_key alice)
issue "$(token 1)" "{\"public_key\":\"$pub\",\"principals\":[\"payments/api\"],\"ttl\":\"10m\",\"reason\":\"INC-42\"}"
check_eq "a valid token and key get 201" "$HTTP_STATUS" 201
echo "$HTTP_BODY" | jq -r .certificate >"$T_TMP/alice-cert.pub"
serial=$(echo "$HTTP_BODY" | jq -r .serial)
check "ssh-keygen -L reads the certificate" ssh-keygen -L -f "$T_TMP/alice-cert.pub"
L=$(ssh-keygen -L -f "$T_TMP/alice-cert.pub" 2>/dev/null)
check_match "the certificate names only the granted principal" "$L" $'Principals: \n[[:space:]]+payments/api\n[[:space:]]+Critical'
check_match "the certificate carries the ledger serial" "$L" "Serial: $serial"
check_match "the certificate has only permit-pty" "$L" $'Extensions: \n[[:space:]]+permit-pty'
va=$(echo "$HTTP_BODY" | jq -r .valid_after); vb=$(echo "$HTTP_BODY" | jq -r .valid_before)
check_eq "the lifetime is the asked 10m plus the 60s backdating" \
    "$(( $(date -d "$vb" +%s) - $(date -d "$va" +%s) ))" 660

sshd_start "$T_TMP/trusted.pub"
sshd_principals "$T_USER" payments/api
check "sshd accepts the certificate" ssh_as "$T_TMP/alice" "$T_TMP/alice-cert.pub" "$T_USER" true

row=$(psql_admin -F'|' -c "SELECT key_id, subject, issuer, email, role, array_to_string(principals, ','),
    key_type, key_fingerprint, valid_after IS NOT NULL, valid_before IS NOT NULL,
    ca_fingerprint, client_address, request_id, reason, policy_version, length(certificate) > 100
    FROM certificates WHERE serial = $serial")
echo "row: $row" >>"$T_LOG"
IFS='|' read -r r_keyid r_sub r_iss r_email r_role r_pr r_kt r_kfp r_va r_vb r_cafp r_addr r_reqid r_reason r_pv r_cert <<<"$row"
check_eq "ledger: subject" "$r_sub" "bench-user-1"
check_eq "ledger: issuer" "$r_iss" "$STACK_ISSUER"
check_eq "ledger: email" "$r_email" "bench-user-1@example.com"
check_eq "ledger: role" "$r_role" "bench"
check_eq "ledger: principals" "$r_pr" "payments/api"
check_eq "ledger: key type" "$r_kt" "ssh-ed25519"
check_eq "ledger: key fingerprint" "$r_kfp" "$(ssh-keygen -l -f "$T_TMP/alice.pub" | awk '{print $2}')"
check_eq "ledger: CA fingerprint" "$r_cafp" "$(ssh-keygen -l -f "$T_TMP/ca.pub" | awk '{print $2}')"
check_eq "ledger: key id matches the certificate" "$r_keyid" "$(echo "$HTTP_BODY" | jq -r .key_id)"
check_eq "ledger: client address" "$r_addr" "127.0.0.1"
check_eq "ledger: reason" "$r_reason" "INC-42"
check_match "ledger: request id" "$r_reqid" '^[0-9a-f]{32}$'
check_match "ledger: policy version" "$r_pv" '^[0-9a-f]{64}$'
check_eq "ledger: validity and certificate present" "$r_va$r_vb$r_cert" "ttt"

# Replay: the same token again
issue "$(token 1)" "{\"public_key\":\"$(user_key alice2)\"}"
check_eq "a replayed token is refused with 401" "$HTTP_STATUS" 401
check_match "the replay refusal says why" "$HTTP_BODY" 'already been used'
check_eq "the replay minted no certificate" "$(psql_admin -c "SELECT count(*) FROM certificates WHERE subject = 'bench-user-1'")" 1

# Denial: a principal the role does not grant
issue "$(token 2)" "{\"public_key\":\"$(user_key bob)\",\"principals\":[\"payments/db\"]}"
check_eq "a principal outside the role gets 403" "$HTTP_STATUS" 403
check_match "the 403 carries the policy's reason" "$HTTP_BODY" 'payments/db'
check_eq "the denial is in the ledger" "$(psql_admin -c "SELECT count(*) FROM denials WHERE subject = 'bench-user-2'")" 1

# No token, bad token
issue "" "{\"public_key\":\"$pub\"}"
check_eq "no token: 401" "$HTTP_STATUS" 401
code=$(curl -s -o /dev/null -D "$T_TMP/h" -w '%{http_code}' -X POST -H 'Authorization: Bearer x.y.z' \
    --data '{}' "$MESHCAD_URL/v1/certificates")
check_eq "a garbage token: 401" "$code" 401
check "401 carries WWW-Authenticate: Bearer error=\"invalid_token\"" grep -qi 'WWW-Authenticate: Bearer error="invalid_token"' "$T_TMP/h"

# Bodies
issue "$(token 3)" '{"public_key": '
check_eq "garbage JSON: 400" "$HTTP_STATUS" 400
check_match "the 400 names the problem" "$HTTP_BODY" 'not valid JSON'
check_match "errors carry a request id" "$HTTP_BODY" '"request_id":"[0-9a-f]{32}"'
issue "$(token 4)" '{"public_key": "ssh-dss AAAAB3NzaC1kc3MAAACBAP"}'
check_eq "a DSA key: 400" "$HTTP_STATUS" 400
# Degenerate keys (issue #13): with the Ed25519 identity point as public key,
# R = identity, S = 0 verifies for any message.
ident=$( { printf '\0\0\0\013ssh-ed25519\0\0\0\040\001'; head -c 31 /dev/zero; } | base64 -w0)
issue "$(token 6)" "{\"public_key\": \"ssh-ed25519 $ident\"}"
check_eq "the Ed25519 identity point as key: 400" "$HTTP_STATUS" 400
check_match "the 400 says it is a small-order point" "$HTTP_BODY" 'small-order'
check_eq "no certificate for the identity key" "$(psql_admin -c "SELECT count(*) FROM certificates WHERE subject = 'bench-user-6'")" 0
head -c 200000 /dev/zero | tr '\0' 'a' >"$T_TMP/big"
code=$(curl -s -o "$T_TMP/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $(token 5)" \
    --data-binary @"$T_TMP/big" "$MESHCAD_URL/v1/certificates")
check_eq "a body over the limit: 413" "$code" 413
code=$(curl -s -o /dev/null -w '%{http_code}' "$MESHCAD_URL/v1/nope")
check_eq "unknown path: 404" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$MESHCAD_URL/v1/certificates")
check_eq "wrong method: 405" "$code" 405
# Issue #13: access log lines of 404s showed method and path as "-".
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$MESHCAD_URL/v1/nope%0a%1b%ff?q=1")
check_eq "a hostile unknown path: 404" "$code" 404
curl -s -o /dev/null "$MESHCAD_URL/$(head -c 600 /dev/zero | tr '\0' a)"
sleep 0.2
check "the 404's access log line names the method and path" \
    grep -qF '"method":"GET","path":"/v1/nope","status":404' "$T_TMP/meshcad.log"
check "the 405's line names them too" \
    grep -qF '"method":"DELETE","path":"/v1/certificates","status":405' "$T_TMP/meshcad.log"
check "control and non-ASCII bytes in a path are escaped, the query left out" \
    grep -qF '"method":"PUT","path":"/v1/nope\\x0a\\x1b\\xff","status":404' "$T_TMP/meshcad.log"
check "a long path is cut at 256 bytes" \
    grep -qE '"path":"/a{255}\.\.\.","status":404' "$T_TMP/meshcad.log"

# Metrics
m=$(curl -fsS "$MESHCAD_URL/metrics")
check_match "metrics count the issuance by role" "$m" 'meshca_certificates_issued_total\{role="bench"\} 1'
check_match "metrics count denials by reason" "$m" 'meshca_denials_total\{reason="policy"\} 1'
check_match "metrics have a latency histogram" "$m" 'meshca_http_request_duration_seconds_bucket'

# The access log holds no token
check_fails "no token reaches the logs" grep -q "$(token 1 | cut -d. -f3 | cut -c1-40)" "$T_TMP/meshcad.log"
check "the access log is JSON lines with the request id" grep -q '"msg":"request"' "$T_TMP/meshcad.log"

# A sub may be 1,024 bytes (an email longer still): the key id cuts it to
# what sshd logs whole and meshca host-report ships (CERT_KEY_ID_BUILT_MAX,
# 511), keeping the role and request; it was a 500 ("cannot sign: invalid
# key id") once the key id passed 1,024 bytes.
longsub=$(printf 's%.0s' $(seq 1000))
pub=$(user_key long)
issue "$(mint_token "$(claims_for "$longsub" '["bench"]' '{"email_verified": false}')")" \
    "{\"public_key\":\"$pub\",\"principals\":[\"payments/api\"]}"
check_eq "a token with a 1,000-byte sub gets 201" "$HTTP_STATUS" 201
kid=$(jq -r .key_id <<<"$HTTP_BODY")
check_eq "its key id is 511 bytes" "${#kid}" 511
check_match "and keeps the role and the request" "$kid" '^s+/bench/[0-9a-f]{16}$'
echo "$HTTP_BODY" | jq -r .certificate >"$T_TMP/long-cert.pub"
check "sshd accepts it" ssh_as "$T_TMP/long" "$T_TMP/long-cert.pub" "$T_USER" true
logged_whole() { grep -qF "ID $kid (serial $(jq -r .serial <<<"$HTTP_BODY")) CA " "$SSHD_DIR/sshd.log"; }
check "and logs its key id whole" wait_for 5 logged_whole

check "meshcad ledger verify passes" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"

# Graceful shutdown
kill -TERM "$MESHCAD_PID"
wait "$MESHCAD_PID"; rc=$?
check_eq "SIGTERM: meshcad exits 0" "$rc" 0
