#!/usr/bin/env bash
# X-Forwarded-Client-Cert (issue #16): with mesh.xfcc on a loopback listener
# (behind the sidecar that verified the client's SVID) the header's URI is
# the workload identity, for host certificates and user certificates alike;
# malformed or foreign headers are refused; the config refuses mesh.xfcc
# off loopback; and on a non-loopback listener any such header gets 400.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

TD=mesh.test
stack_init '{ "roles": [ { "name": "ci", "match": { "spiffe_ids": ["spiffe://mesh.test/ns/ci/sa/*"] },
                           "principals": ["ci/{spiffe_segment[3]}"] } ],
              "hosts": [ { "match": { "spiffe_ids": ["spiffe://mesh.test/ns/payments/sa/*"] },
                           "principals": ["{spiffe_segment[3]}.payments.mesh.test"] } ] }'
"$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/host_ca.pem" >/dev/null 2>>"$T_LOG"
stack_config_extra "{\"ca_keys\": [ {\"path\": \"ca.pem\"}, {\"path\": \"host_ca.pem\", \"use\": \"host\"} ],
  \"mesh\": {\"trust_domain\": \"$TD\", \"xfcc\": true}}"
check "meshcad check accepts mesh.xfcc on a loopback listener" "$MESHCAD_BIN" check --config "$T_TMP/meshcad.json"
sed 's/"listen": *"127.0.0.1:/"listen": "0.0.0.0:/' "$T_TMP/meshcad.json" |
    jq '.tls = {"cert": "server.pem", "key": "server.key"}' >"$T_TMP/open.json"
out=$("$MESHCAD_BIN" check --config "$T_TMP/open.json" 2>&1)
check_match "mesh.xfcc off loopback is refused, with the reason" "$out" \
    'mesh.xfcc: X-Forwarded-Client-Cert can be trusted only when meshcad listens on loopback'
stack_start

ssh-keygen -q -t ed25519 -N '' -C host -f "$T_TMP/hostkey" >/dev/null
post() {  # PATH XFCC: sets CODE, BODY
    CODE=$(curl -sS -o "$T_TMP/r.json" -w '%{http_code}' ${2:+-H "X-Forwarded-Client-Cert: $2"} \
        -H 'Content-Type: application/json' \
        --data-binary "$(jq -cn --arg k "$(cat "$T_TMP/hostkey.pub")" '{public_key: $k}')" \
        "$MESHCAD_URL$1" 2>>"$T_LOG")
    BODY=$(cat "$T_TMP/r.json")
    echo "$1 [$2] -> $CODE $BODY" >>"$T_LOG"
}
ENVOY='By=spiffe://mesh.test/ns/meshca/sa/meshcad;Hash=7b1cd3b0b1b2c1e0f5d2a1c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9'
post /v1/host-certificates "$ENVOY;Subject=\"O=SPIRE,CN=api\";URI=spiffe://$TD/ns/payments/sa/api"
check_eq "XFCC from the sidecar: a host certificate" "$CODE" 201
check_eq "for the names of the header's SPIFFE ID" "$(jq -c .principals <<<"$BODY")" '["api.payments.mesh.test"]'
post /v1/certificates "$ENVOY;URI=spiffe://$TD/ns/ci/sa/runner"
check_eq "XFCC: a user certificate for a spiffe_ids role" "$CODE" 201
check_eq "with its principals" "$(jq -c .principals <<<"$BODY")" '["ci/runner"]'
post /v1/host-certificates "$ENVOY;URI=spiffe://$TD/ns/payments/sa/api,By=x;URI=spiffe://$TD/ns/payments/sa/db"
check_eq "XFCC with two elements (not replaced by the sidecar) is refused" "$CODE" 401
check_match "the reason" "$BODY" 'more than one element'
post /v1/host-certificates "$ENVOY;URI=spiffe://other.test/ns/payments/sa/api"
check_eq "XFCC of another trust domain is refused" "$CODE" 401
post /v1/host-certificates "$ENVOY;URI=spiffe://$TD/ns/payments/sa/api;URI=spiffe://$TD/ns/payments/sa/db"
check_eq "XFCC with two URIs is refused" "$CODE" 401
post /v1/host-certificates "$ENVOY"
check_eq "XFCC without URI is refused" "$CODE" 401
post /v1/host-certificates ""
check_eq "no XFCC and no SVID: 401" "$CODE" 401
check_eq "the ledger holds the XFCC workloads' SPIFFE IDs" \
    "$(psql_admin -c "SELECT (SELECT spiffe_id FROM host_certificates) || ' ' || (SELECT spiffe_id FROM certificates)")" \
    "spiffe://$TD/ns/payments/sa/api spiffe://$TD/ns/ci/sa/runner"

# A non-loopback listener (0.0.0.0, TLS) never trusts the header.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=tls" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$T_TMP/server.key" -out "$T_TMP/server.pem" >>"$T_LOG" 2>&1
chmod 600 "$T_TMP/server.key"
MESHCAD_PORT=$(free_port)
sed "s/\"listen\": *\"0.0.0.0:[0-9]*\"/\"listen\": \"0.0.0.0:$MESHCAD_PORT\"/" "$T_TMP/open.json" |
    jq '.mesh.xfcc = false' >"$T_TMP/open2.json"
MESHCAD_URL=https://127.0.0.1:$MESHCAD_PORT
meshcad_start "$T_TMP/open2.json"
CODE=$(curl -sS -o "$T_TMP/r.json" -w '%{http_code}' --cacert "$T_TMP/server.pem" \
    -H "X-Forwarded-Client-Cert: $ENVOY;URI=spiffe://$TD/ns/payments/sa/api" \
    -H 'Content-Type: application/json' -d '{}' "$MESHCAD_URL/v1/host-certificates" 2>>"$T_LOG")
check_eq "XFCC on a non-loopback listener: 400" "$CODE" 400
check_match "saying it is not trusted there" "$(cat "$T_TMP/r.json")" 'X-Forwarded-Client-Cert is not trusted here'
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_TMP/server.pem" \
    -H "X-Forwarded-Client-Cert: URI=spiffe://$TD/ns/ci/sa/runner" "$MESHCAD_URL/v1/ca-keys" 2>>"$T_LOG")
check_eq "on any endpoint" "$CODE" 400
