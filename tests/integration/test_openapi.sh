#!/usr/bin/env bash
# api/openapi.yaml cannot drift from the service: it is linted by an OpenAPI
# 3.1 validator from npm (@seriousme/openapi-schema-validator, pinned in
# tests/openapi/package-lock.json); every route in meshcad's route table
# (api/http.c) is in it; and real responses of a running meshcad, success
# and error cases of every route, are checked against it with ajv (JSON
# Schema 2020-12): the status is documented for the operation, the content
# type too, a JSON body validates against the schema, and the documented
# required headers (WWW-Authenticate on 401, Retry-After on 503 from the
# ledger, ETag on the KRL) are there.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

OA=$MESHCA_TOP/tests/openapi
SPEC=$MESHCA_TOP/api/openapi.yaml
[ -d "$OA/node_modules/ajv" ] || bail "tests/openapi/node_modules is missing: run make deps"

# ok/not ok lines from a node checker into this test's results
relay() {
    local line
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) ok "${line#ok - }" ;;
        "not ok - "*) echo "$line" >>"$T_LOG"; not_ok "${line#not ok - }" ;;
        *) echo "$line" >>"$T_LOG" ;;
        esac
    done
}

node "$OA/lint.mjs" "$SPEC" >"$T_TMP/lint.out" 2>&1; rc=$?
relay <"$T_TMP/lint.out"
check_eq "the lint exits 0" "$rc" 0
node "$OA/routes.mjs" "$SPEC" "$MESHCA_TOP/api/http.c" >"$T_TMP/routes.out" 2>&1; rc=$?
relay <"$T_TMP/routes.out"
check_eq "every route is described (exit 0)" "$rc" 0

check_fails "the lint refuses a description with a response lacking its description" \
    node "$OA/lint.mjs" <(sed '/description: Alive\./d' "$SPEC")

# The checker itself must be able to fail: a spec with a wrong schema and
# a route table with a route the spec lacks.
check_fails "a route table with a route the description lacks fails" \
    node "$OA/routes.mjs" "$SPEC" <(sed 's|{ "GET", "/healthz", 0, handle_healthz, 0 },|&\n    { "GET", "/v1/not-described", 0, handle_healthz, 0 },|' "$MESHCA_TOP/api/http.c")
out=$(node "$OA/routes.mjs" "$SPEC" <(sed 's|{ "GET", "/healthz", 0, handle_healthz, 0 },|&\n    { "GET", "/v1/not-described", 0, handle_healthz, 0 },|' "$MESHCA_TOP/api/http.c") 2>&1)
check_match "and the failure names the missing route" "$out" 'GET /v1/not-described is in the route table .* but not in api/openapi.yaml'

# The stack's bench role, plus just-in-time access (#17: a role that needs
# approval, one whose requests expire at once, a break-glass role) and the
# mesh (#16: a host CA, XFCC on this loopback listener, a hosts section).
TD=mesh.test
stack_init '{ "admins": { "groups": ["meshca-admins"] },
  "roles": [ { "name": "bench", "match": { "groups": ["bench"] },
               "principals": ["payments/api", "payments/worker"],
               "default_ttl": "5m", "max_ttl": "15m" },
             { "name": "jit", "match": { "groups": ["jit"] }, "principals": ["payments/db"],
               "max_ttl": "30m", "approval": { "approvers": { "groups": ["leads"] } } },
             { "name": "jit-short", "match": { "groups": ["jit-short"] }, "principals": ["payments/db"],
               "approval": { "approvers": { "groups": ["leads"] }, "request_ttl": "1s" } },
             { "name": "breakglass", "match": { "groups": ["oncall"] }, "principals": ["payments/db"],
               "max_ttl": "15m", "break_glass": true } ],
  "hosts": [ { "match": { "spiffe_ids": ["spiffe://mesh.test/ns/payments/sa/*"] },
               "principals": ["{spiffe_segment[3]}.payments.mesh.test"] } ] }'
"$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/host_ca.pem" >/dev/null 2>>"$T_LOG" || bail "keygen (host CA)"
# A host token for POST /v1/logins (#18).
(umask 077 && head -c 24 /dev/urandom | base64 >"$T_TMP/web-1.token")
printf 'web-1 sha256:%s\n' "$(tr -d '\n' <"$T_TMP/web-1.token" | sha256sum | cut -d' ' -f1)" >"$T_TMP/host-tokens"
stack_config_extra "{\"limits\": {\"max_body_bytes\": 65536, \"rate_per_minute\": 1},
  \"logins\": {\"host_tokens\": \"host-tokens\"},
  \"ca_keys\": [ {\"path\": \"ca.pem\"}, {\"path\": \"host_ca.pem\", \"use\": \"host\"} ],
  \"mesh\": {\"trust_domain\": \"$TD\", \"xfcc\": true}}"
stack_start
wait_for 20 curl -sf -o /dev/null "$MESHCAD_URL/readyz" || bail "meshcad not ready"

R=$T_TMP/responses
mkdir -p "$R"
n=0
# call NAME EXPECTED_STATUS METHOD PATH [curl args]: one request, recorded
# for the checker (status, headers, body).
call() {
    local name=$1 expect=$2 method=$3 path=$4
    shift 4
    n=$((n + 1))
    curl -sS -X "$method" -D "$R/$n.h" -o "$R/$n.b" -w '%{http_code}' "$@" \
        "$MESHCAD_URL$path" >"$R/$n.s" 2>>"$T_LOG"
    jq -cn --arg name "$name" --arg expect "$expect" --arg method "$method" \
        --arg path "$path" --arg n "$n" \
        '{name: $name, expect: ($expect | tonumber), method: $method, path: $path, n: $n}' \
        >>"$R/manifest.jsonl"
}
auth() { echo "Authorization: Bearer $1"; }
JSON='Content-Type: application/json'
ADMIN=$(mint_token "$(claims_for carol '["meshca-admins"]')")
pub=$(user_key alice)
pub2=$(user_key bob)

# The small endpoints
call "healthz" 200 GET /healthz
call "readyz, ready" 200 GET /readyz
call "metrics" 200 GET /metrics
call "ca-keys" 200 GET /v1/ca-keys
call "config" 200 GET /v1/config
call "an unknown path" 404 GET /v1/nothing-here
call "a method a route does not take" 405 DELETE /healthz

# Issuance and explain
call "issue" 201 POST /v1/certificates -H "$(auth "$(token 0)")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$pub" '{public_key: $k, principals: ["payments/api"], ttl: "1h", reason: "openapi test"}')"
serial=$(jq -r .serial "$R/$n.b")
call "issue without a token (401, WWW-Authenticate)" 401 POST /v1/certificates -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$pub2" '{public_key: $k}')"
call "issue with a malformed body" 400 POST /v1/certificates -H "$(auth "$(token 1)")" -H "$JSON" --data-binary '{"public_key": 5}'
call "issue a principal the policy does not grant" 403 POST /v1/certificates -H "$(auth "$(token 2)")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$pub2" '{public_key: $k, principals: ["root/everything"]}')"
head -c 70000 /dev/zero | tr '\0' a >"$T_TMP/big"
call "issue with a body over the limit" 413 POST /v1/certificates -H "$(auth "$(token 3)")" -H "$JSON" --data-binary @"$T_TMP/big"
RL1=$(mint_token "$(claims_for dave '["bench"]')")
RL2=$(mint_token "$(claims_for dave '["bench"]')")
call "issue, the subject's first this minute" 201 POST /v1/certificates -H "$(auth "$RL1")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$(user_key dave1)" '{public_key: $k}')"
call "issue over the subject's rate limit" 429 POST /v1/certificates -H "$(auth "$RL2")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$(user_key dave2)" '{public_key: $k}')"
call "explain" 200 POST /v1/explain -H "$(auth "$(token 4)")" -H "$JSON" --data-binary '{"principals": ["payments/api"]}'
call "explain without a token" 401 POST /v1/explain -H "$JSON" --data-binary '{}'
call "explain with an unknown field" 400 POST /v1/explain -H "$(auth "$(token 5)")" -H "$JSON" --data-binary '{"nonsense": 1}'

# Revocations and the KRL
call "krl" 200 GET /v1/krl
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^\r]*\).*/\1/p' "$R/$n.h")
call "krl, not modified" 304 GET /v1/krl -H "If-None-Match: $etag"
call "revoke" 201 POST /v1/revocations -H "$(auth "$ADMIN")" -H "$JSON" \
    --data-binary "$(jq -cn --arg s "$serial" '{serial: $s, reason: "openapi test"}')"
call "revoke again (already revoked)" 200 POST /v1/revocations -H "$(auth "$ADMIN")" -H "$JSON" \
    --data-binary "$(jq -cn --arg s "$serial" '{serial: $s, reason: "openapi test"}')"
call "revoke a serial never issued" 404 POST /v1/revocations -H "$(auth "$ADMIN")" -H "$JSON" \
    --data-binary '{"serial": "12345", "reason": "openapi test"}'
call "revoke with two targets" 400 POST /v1/revocations -H "$(auth "$ADMIN")" -H "$JSON" \
    --data-binary '{"serial": "1", "subject": "x", "reason": "r"}'
call "revoke by a non-admin" 403 POST /v1/revocations -H "$(auth "$(token 6)")" -H "$JSON" \
    --data-binary '{"serial": "1", "reason": "r"}'

# Admin queries
call "list certificates" 200 GET "/v1/certificates?limit=10" -H "$(auth "$ADMIN")"
call "list certificates as CSV" 200 GET "/v1/certificates?format=csv" -H "$(auth "$ADMIN")"
call "list certificates, bad limit" 400 GET "/v1/certificates?limit=x" -H "$(auth "$ADMIN")"
call "list certificates, not an admin" 403 GET /v1/certificates -H "$(auth "$(token 7)")"
call "list certificates, no token" 401 GET /v1/certificates
# Who actually logged in (#18): a host reports a login with the
# certificate issued above, then the report, anomalies and who show it.
HOSTTOK=$(cat "$T_TMP/web-1.token")
cafp=$(psql_admin -c "SELECT ca_fingerprint FROM certificates WHERE serial = $serial")
loginbody=$(jq -cn --arg s "$serial" --arg ca "$cafp" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '{krl: {version: "0", generated_at: $at}, logins: [{line_id: "openapi-1", at: $at, account: "app",
      source_address: "127.0.0.1", source_port: 40000, result: "accepted", serial: $s,
      key_id: "alice", key_fingerprint: "SHA256:x", ca_fingerprint: $ca}]}')
call "host reports a login" 200 POST /v1/logins -H "$(auth "$HOSTTOK")" -H "$JSON" --data-binary "$loginbody"
call "host reports it again (recorded once)" 200 POST /v1/logins -H "$(auth "$HOSTTOK")" -H "$JSON" --data-binary "$loginbody"
call "host report without a token (401)" 401 POST /v1/logins -H "$JSON" --data-binary '{"logins": []}'
call "host report with a token not listed (401)" 401 POST /v1/logins -H "$(auth not-a-host-token)" -H "$JSON" \
    --data-binary '{"logins": []}'
call "host report with a malformed login (400)" 400 POST /v1/logins -H "$(auth "$HOSTTOK")" -H "$JSON" \
    --data-binary '{"logins": [{"at": "x"}]}'
call "host report over the body limit (413)" 413 POST /v1/logins -H "$(auth "$HOSTTOK")" -H "$JSON" \
    --data-binary @"$T_TMP/big"
call "report" 200 GET /v1/report -H "$(auth "$ADMIN")"
jq -e '.usage.certificates.used >= 1 and (.usage.hosts | length) == 1' "$R/$n.b" >/dev/null ||
    not_ok "the report's usage shows the reported login"
call "anomalies" 200 GET "/v1/anomalies?since=1h" -H "$(auth "$ADMIN")"
jq -e '.rules.first_access >= 1' "$R/$n.b" >/dev/null || not_ok "the login is flagged first_access"
call "anomalies, bad since (400)" 400 GET "/v1/anomalies?since=yesterday-ish" -H "$(auth "$ADMIN")"
call "anomalies, not an admin (403)" 403 GET /v1/anomalies -H "$(auth "$(token 11)")"
call "anomalies, no token (401)" 401 GET /v1/anomalies
call "who" 200 GET "/v1/who?principal=payments/api" -H "$(auth "$ADMIN")"
jq -e '(.could | length) >= 1 and (.did | length) == 1' "$R/$n.b" >/dev/null ||
    not_ok "who could and who did: the certificate and its login"
call "who without a principal (400)" 400 GET /v1/who -H "$(auth "$ADMIN")"
call "who, not an admin (403)" 403 GET "/v1/who?principal=payments/api" -H "$(auth "$(token 12)")"
call "report, bad since" 400 GET "/v1/report?since=yesterday-ish" -H "$(auth "$ADMIN")"

# The transparency log (wait for a checkpoint that covers the issuance)
wait_for 20 bash -c "curl -sf '$MESHCAD_URL/v1/log/proof?serial=$serial' >/dev/null" || bail "no inclusion proof"
call "log checkpoint" 200 GET /v1/log/checkpoint
call "inclusion proof" 200 GET "/v1/log/proof?serial=$serial"
call "consistency proof" 200 GET "/v1/log/proof?from=1&to=1"
call "proof without a query" 400 GET /v1/log/proof
call "proof for a serial not in the log" 404 GET "/v1/log/proof?serial=999"
call "proof for a serial past 2^63-1 (no such serial)" 400 GET "/v1/log/proof?serial=9223372036854775808"
call "log tile" 200 GET /v1/log/tile/0/000.p/1
call "not a tile path" 404 GET /v1/log/tile/zz

# Just-in-time access (#17) and the mesh (#16), on a third meshcad on the
# same database without the per-subject rate limit (a request and its
# collection are two issuance calls of one person).
PLAIN_URL=$MESHCAD_URL PLAIN_PORT=$MESHCAD_PORT PLAIN_PID=$MESHCAD_PID
MESHCAD_PORT=$(free_port)
jq --arg l "127.0.0.1:$MESHCAD_PORT" '.listen = $l | .limits.rate_per_minute = 0' \
    "$T_TMP/meshcad.json" >"$T_TMP/acc.json"
MESHCAD_URL=http://127.0.0.1:$MESHCAD_PORT
meshcad_start "$T_TMP/acc.json"
person() { mint_token "$(claims_for "$1" "$2")"; }  # SUB GROUPS_JSON: a fresh token
kj=$(user_key jill)
call "access: a role that needs approval answers 202 with the request" 202 POST /v1/certificates \
    -H "$(auth "$(person jill '["jit"]')")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$kj" '{public_key: $k, role: "jit", reason: "INC-4412"}')"
rid=$(jq -r .request_id "$R/$n.b")
collect() {  # NAME STATUS SUB GROUPS KEY ID
    call "$1" "$2" POST /v1/certificates -H "$(auth "$(person "$3" "$4")")" -H "$JSON" \
        --data-binary "$(jq -cn --arg k "$5" --arg id "$6" '{public_key: $k, request_id: $id}')"
}
decide() {  # NAME STATUS ID ACTION SUB GROUPS [BODY]
    local body='{"reason": "checked"}'
    [ $# -ge 7 ] && body=$7
    call "$1" "$2" POST "/v1/access-requests/$3/$4" -H "$(auth "$(person "$5" "$6")")" -H "$JSON" \
        --data-binary "$body"
}
collect "access: collecting before approval (409 pending)" 409 jill '["jit"]' "$kj" "$rid"
call "access: the approver's queue" 200 GET /v1/access-requests -H "$(auth "$(person lena '["leads"]')")"
call "access: every request of 30 days" 200 GET "/v1/access-requests?all=true" -H "$(auth "$(person lena '["leads"]')")"
call "access: the list without a token (401)" 401 GET /v1/access-requests
call "access: one request, for its requester" 200 GET "/v1/access-requests/$rid" -H "$(auth "$(person jill '["jit"]')")"
call "access: one request, for someone else (404)" 404 GET "/v1/access-requests/$rid" -H "$(auth "$(person eve '["bench"]')")"
call "access: not a request id (404)" 404 GET /v1/access-requests/xyz -H "$(auth "$(person lena '["leads"]')")"
decide "access: approving one's own request (403)" 403 "$rid" approve jill '["jit", "leads"]'
decide "access: approval by a non-approver (403)" 403 "$rid" approve eve '["bench"]'
decide "access: approval without a reason (400)" 400 "$rid" approve lena '["leads"]' '{}'
decide "access: an action that does not exist (404)" 404 "$rid" frobnicate lena '["leads"]'
call "access: a decision without a token (401)" 401 POST "/v1/access-requests/$rid/approve" -H "$JSON" \
    --data-binary '{"reason": "r"}'
decide "access: approve" 200 "$rid" approve lena '["leads"]'
decide "access: approving an approved request (409 approved)" 409 "$rid" approve lars '["leads"]'
collect "access: collect the approved request" 201 jill '["jit"]' "$kj" "$rid"
collect "access: collect it again (409 collected)" 409 jill '["jit"]' "$kj" "$rid"
call "access: a second request" 202 POST /v1/certificates -H "$(auth "$(person jack '["jit"]')")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$(user_key jack)" '{public_key: $k, role: "jit", reason: "INC-4413"}')"
rid2=$(jq -r .request_id "$R/$n.b")
decide "access: deny" 200 "$rid2" deny lena '["leads"]'
collect "access: collecting a denied request (409 denied)" 409 jack '["jit"]' "$(cat "$T_TMP/jack.pub")" "$rid2"
call "access: a request that expires at once" 202 POST /v1/certificates -H "$(auth "$(person judy '["jit-short"]')")" \
    -H "$JSON" --data-binary "$(jq -cn --arg k "$(user_key judy)" '{public_key: $k, role: "jit-short", reason: "INC-4414"}')"
rid3=$(jq -r .request_id "$R/$n.b")
LEAD=$(person lena '["leads"]')
wait_for 20 bash -c "curl -sf -H 'Authorization: Bearer $LEAD' '$MESHCAD_URL/v1/access-requests/$rid3' |
    jq -e '.status == \"expired\"' >/dev/null" || bail "the request did not expire"
collect "access: collecting an expired request (410)" 410 judy '["jit-short"]' "$(cat "$T_TMP/judy.pub")" "$rid3"
decide "access: approving an expired request (410)" 410 "$rid3" approve lena '["leads"]'
call "access: a break-glass role issues at once" 201 POST /v1/certificates -H "$(auth "$(person oscar '["oncall"]')")" \
    -H "$JSON" --data-binary "$(jq -cn --arg k "$(user_key oscar)" '{public_key: $k, role: "breakglass", reason: "INC-4415: prod down"}')"
bg=$(jq -r .access_request "$R/$n.b")
decide "access: approving a break-glass use (409 conflict)" 409 "$bg" approve lena '["leads"]'
decide "access: acknowledging one's own break-glass use (403)" 403 "$bg" acknowledge oscar '["oncall"]'
decide "access: acknowledge a break-glass use" 200 "$bg" acknowledge lena '["leads"]' '{}'
decide "access: acknowledging it again (409 conflict)" 409 "$bg" acknowledge lars '["leads"]'

# The mesh: host CA keys, host certificates by XFCC (this listener is
# loopback with mesh.xfcc), explain's host decision.
ssh-keygen -q -t ed25519 -N '' -C host -f "$T_TMP/hostkey" >/dev/null
XFCC="X-Forwarded-Client-Cert: By=spiffe://$TD/ns/meshca/sa/meshcad;URI=spiffe://$TD/ns/payments/sa/api"
hostbody=$(jq -cn --arg k "$(cat "$T_TMP/hostkey.pub")" '{public_key: $k}')
call "host-ca-keys" 200 GET /v1/host-ca-keys
call "host certificate for a workload (XFCC)" 201 POST /v1/host-certificates -H "$XFCC" -H "$JSON" --data-binary "$hostbody"
call "host certificate without a workload identity (401)" 401 POST /v1/host-certificates -H "$JSON" --data-binary "$hostbody"
call "host certificate with a malformed body (400)" 400 POST /v1/host-certificates -H "$XFCC" -H "$JSON" --data-binary '{"public_key": 5}'
call "host certificate for a workload the hosts section does not cover (403)" 403 POST /v1/host-certificates \
    -H "X-Forwarded-Client-Cert: URI=spiffe://$TD/ns/ci/sa/runner" -H "$JSON" --data-binary "$hostbody"
call "explain a workload's host decision" 200 POST /v1/explain -H "$XFCC" -H "$JSON" --data-binary '{"host": true}'
call "explain a host decision for a person (400)" 400 POST /v1/explain -H "$(auth "$(token 10)")" -H "$JSON" \
    --data-binary '{"host": true}'
call "explain a role that needs approval" 200 POST /v1/explain -H "$(auth "$(person jill '["jit"]')")" -H "$JSON" \
    --data-binary '{"role": "jit", "reason": "r"}'
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
MESHCAD_URL=$PLAIN_URL MESHCAD_PORT=$PLAIN_PORT MESHCAD_PID=$PLAIN_PID

# mTLS: a second meshcad on the same database with tls.client_ca; without
# a client certificate every route is 403 with the Error body.
tls_cert() {  # NAME CA SAN: NAME.pem/.key signed by CA (self-signed when CA is -)
    if [ "$2" = - ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
            -subj "/CN=$1" -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1
    else
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
            -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.csr" >>"$T_LOG" 2>&1 &&
        printf 'subjectAltName=%s\n' "$3" >"$T_TMP/$1.ext" &&
        openssl x509 -req -in "$T_TMP/$1.csr" -CA "$T_TMP/$2.pem" -CAkey "$T_TMP/$2.key" \
            -days 1 -extfile "$T_TMP/$1.ext" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1
    fi || bail "openssl ($1)"
    chmod 600 "$T_TMP/$1.key"
}
tls_cert mtls-ca -
tls_cert mtls-server mtls-ca IP:127.0.0.1
tls_cert mtls-client mtls-ca DNS:client.mesh
PLAIN_URL=$MESHCAD_URL PLAIN_PORT=$MESHCAD_PORT PLAIN_PID=$MESHCAD_PID
MESHCAD_PORT=$(free_port)
# (without the host CA and the mesh: the host routes answer 404)
jq --arg l "127.0.0.1:$MESHCAD_PORT" '.listen = $l | .tls = {cert: "mtls-server.pem", key: "mtls-server.key", client_ca: "mtls-ca.pem"} | del(.mesh) | .ca_keys |= map(select(.use != "host"))' \
    "$T_TMP/meshcad.json" >"$T_TMP/mtls.json"
MESHCAD_URL=https://127.0.0.1:$MESHCAD_PORT
MESHCAD_CURL_OPTS="--cacert $T_TMP/mtls-ca.pem --cert $T_TMP/mtls-client.pem --key $T_TMP/mtls-client.key"
meshcad_start "$T_TMP/mtls.json"
call "mTLS: ca-keys with a client certificate" 200 GET /v1/ca-keys $MESHCAD_CURL_OPTS
call "mTLS: ca-keys without one (403)" 403 GET /v1/ca-keys --cacert "$T_TMP/mtls-ca.pem"
call "host-ca-keys of a CA without a host CA key (404)" 404 GET /v1/host-ca-keys $MESHCAD_CURL_OPTS
call "host certificate from a CA without a host CA key (404)" 404 POST /v1/host-certificates $MESHCAD_CURL_OPTS \
    -H "$JSON" --data-binary "$hostbody"
call "mTLS: issue without one (403)" 403 POST /v1/certificates --cacert "$T_TMP/mtls-ca.pem" \
    -H "$(auth "$(token 9)")" -H "$JSON" --data-binary "$(jq -cn --arg k "$pub2" '{public_key: $k}')"
# ... so that every route, also those with no other error, has one checked
for p in /healthz /readyz /metrics /v1/config /v1/krl /v1/certificates /v1/report \
    /v1/log/checkpoint "/v1/log/proof?serial=$serial" /v1/log/tile/0/000.p/1 \
    /v1/host-ca-keys /v1/access-requests "/v1/access-requests/$rid" /v1/anomalies \
    "/v1/who?principal=payments/api"; do
    call "mTLS: GET $p without a client certificate (403)" 403 GET "$p" --cacert "$T_TMP/mtls-ca.pem"
done
for p in /v1/explain /v1/revocations /v1/host-certificates "/v1/access-requests/$rid/deny" /v1/logins; do
    call "mTLS: POST $p without a client certificate (403)" 403 POST "$p" --cacert "$T_TMP/mtls-ca.pem" \
        -H "$JSON" --data-binary '{}'
done
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
MESHCAD_URL=$PLAIN_URL MESHCAD_PORT=$PLAIN_PORT MESHCAD_PID=$PLAIN_PID
unset MESHCAD_CURL_OPTS

# The database gone: readiness and issuance say so (503, Retry-After)
pg_stop
call "readyz, database down" 503 GET /readyz
call "inclusion proof, ledger down (503, Retry-After)" 503 GET "/v1/log/proof?serial=$serial"
call "log checkpoint, ledger down" 503 GET /v1/log/checkpoint
call "list certificates, ledger down" 503 GET /v1/certificates -H "$(auth "$ADMIN")"
call "anomalies, ledger down (503)" 503 GET /v1/anomalies -H "$(auth "$ADMIN")"
call "who, ledger down (503)" 503 GET "/v1/who?principal=payments/api" -H "$(auth "$ADMIN")"
call "host report, ledger down (503, Retry-After)" 503 POST /v1/logins -H "$(auth "$HOSTTOK")" -H "$JSON" \
    --data-binary "$(jq -c '.logins[0].line_id = "openapi-2"' <<<"$loginbody")"
call "issue, ledger down (503, Retry-After)" 503 POST /v1/certificates -H "$(auth "$(token 8)")" -H "$JSON" \
    --data-binary "$(jq -cn --arg k "$pub2" '{public_key: $k, principals: ["payments/api"]}')"

node "$OA/validate.mjs" "$SPEC" "$R" >"$T_TMP/validate.out" 2>&1; rc=$?
relay <"$T_TMP/validate.out"
check_eq "the checker went through all $n responses" "$(grep -c '^\(not \)\?ok - ' "$T_TMP/validate.out")" "$n"
check_eq "and passed them all (exit 0)" "$rc" 0
check_eq "every route of the table was exercised" \
    "$(node "$OA/routes.mjs" --unexercised "$SPEC" "$MESHCA_TOP/api/http.c" "$R/manifest.jsonl" 2>&1)" ""

# The checker must reject a body the description does not allow.
echo '{"status":"not-ok"}' >"$R/1.b"
check_fails "a body that does not match its schema is refused" node "$OA/validate.mjs" "$SPEC" "$R"
