#!/usr/bin/env bash
# User certificates for workloads (issue #16): a JWT-SVID (signed by a test
# key set standing in for SPIRE) and an X.509-SVID on mTLS (from a test mesh
# CA made with OpenSSL) each get a certificate from a role matching
# spiffe_ids, with principals filled from the SPIFFE ID; a SPIFFE ID outside
# the pattern is refused with the reason; the JWT-SVID rules (sub a SPIFFE
# ID of the trust domain, aud required, iss checked when present, single
# use) hold; the ledger records the SPIFFE ID and the log still verifies.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/mesh.sh"

TD=mesh.test
SPIRE=https://spire.test
mesh_server_tls
mesh_ca mesh-ca
mesh_ca rogue-ca
mesh_svid builder mesh-ca "$(mesh_svid_ext "spiffe://$TD/ns/ci/sa/builder")"
mesh_svid payments mesh-ca "$(mesh_svid_ext "spiffe://$TD/ns/payments/sa/api")"
mesh_svid rogue rogue-ca "$(mesh_svid_ext "spiffe://$TD/ns/ci/sa/builder")"

stack_init '{ "roles": [ { "name": "bench", "match": { "groups": ["bench"] },
                           "principals": ["payments/api"] },
                         { "name": "ci", "match": { "spiffe_ids": ["spiffe://mesh.test/ns/ci/sa/*"] },
                           "principals": ["ci/{spiffe_segment[3]}", "ci/deploy"],
                           "default_ttl": "5m", "max_ttl": "10m" } ] }'
mkdir -p "$T_TMP/spire"
"$BUILD/tests/bench/loadgen" mint --issuer "$SPIRE" --audience meshca --subjects 1 \
    --dir "$T_TMP/spire" >>"$T_LOG" 2>&1 || bail "minting the SPIRE key set failed"
stack_config_extra "{\"tls\": {\"cert\": \"server.pem\", \"key\": \"server.key\"},
  \"issuers\": [ {\"issuer\": \"$STACK_ISSUER\", \"audiences\": [\"meshca\"], \"jwks_file\": \"jwks.json\",
                  \"max_token_age\": \"2h\"},
                 {\"kind\": \"jwt-svid\", \"issuer\": \"$SPIRE\", \"audiences\": [\"meshca\"],
                  \"jwks_file\": \"spire/jwks.json\"} ],
  \"mesh\": {\"trust_domain\": \"$TD\", \"trust_bundle\": \"mesh-ca.pem\"}}"
check "meshcad check accepts a jwt-svid issuer and a spiffe_ids role" \
    "$MESHCAD_BIN" check --config "$T_TMP/meshcad.json"
jq 'del(.mesh)' "$T_TMP/meshcad.json" >"$T_TMP/nomesh.json"
check_match "a jwt-svid issuer needs mesh.trust_domain" \
    "$("$MESHCAD_BIN" check --config "$T_TMP/nomesh.json" 2>&1)" 'jwt-svid needs mesh.trust_domain'
jq 'del(.tls)' "$T_TMP/meshcad.json" >"$T_TMP/notls.json"
check_match "mesh.trust_bundle without tls is refused, with the reason" \
    "$("$MESHCAD_BIN" check --config "$T_TMP/notls.json" 2>&1)" 'mesh.trust_bundle: X.509-SVIDs are TLS client certificates'
MESHCAD_URL=https://127.0.0.1:$MESHCAD_PORT
MESHCAD_CURL_OPTS="--cacert $T_TMP/tls-ca.pem"
stack_start

svid_jwt() {  # CLAIMS_JSON: a JWT-SVID signed by the SPIRE test key set
    "$BUILD/tests/bench/loadgen" sign --key "$T_TMP/spire/signing.pem" "$1"
}
jwt_claims() {  # SUB [EXTRA_JSON]
    jq -cn --arg sub "$1" --arg iss "$SPIRE" --argjson now "$(date +%s)" --argjson extra "${2:-{\}}" \
        '{sub: $sub, aud: ["meshca"], iss: $iss, iat: $now, exp: ($now + 300)} + $extra'
}
post() {  # TOKEN|"" [curl args]: POST /v1/certificates; sets CODE, BODY
    local tok=$1; shift
    user_key "k$RANDOM" >"$T_TMP/pub"
    CODE=$(curl -sS --cacert "$T_TMP/tls-ca.pem" -o "$T_TMP/r.json" -w '%{http_code}' \
        ${tok:+-H "Authorization: Bearer $tok"} -H 'Content-Type: application/json' "$@" \
        --data-binary "$(jq -cn --arg k "$(cat "$T_TMP/pub")" '{public_key: $k}')" \
        "$MESHCAD_URL/v1/certificates" 2>>"$T_LOG")
    BODY=$(cat "$T_TMP/r.json")
    echo "certificates -> $CODE $BODY" >>"$T_LOG"
}

tok=$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/ci/sa/runner")")
post "$tok"
check_eq "a JWT-SVID gets a user certificate" "$CODE" 201
check_eq "from the spiffe_ids role" "$(jq -r .role <<<"$BODY")" ci
check_eq "with principals filled from the SPIFFE ID" "$(jq -c .principals <<<"$BODY")" '["ci/runner","ci/deploy"]'
jq -r .certificate <<<"$BODY" >"$T_TMP/runner-cert.pub"
check_match "ssh-keygen reads a user certificate" "$(ssh-keygen -L -f "$T_TMP/runner-cert.pub" 2>&1)" 'user certificate'
post "$tok"
check_eq "the same JWT-SVID a second time is a replay (single use)" "$CODE" 401
check_match "said so" "$BODY" 'already been used'

post "$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/ci/sa/noiss" | jq -c 'del(.iss)')")"
check_eq "a JWT-SVID without iss is accepted (one jwt-svid issuer)" "$CODE" 201
post "$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/ci/sa/noiat" | jq -c 'del(.iat)')")"
check_eq "a short-lived JWT-SVID without iat is accepted" "$CODE" 201
post "$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/ci/sa/x" '{"iss": "https://other.test"}')")"
check_eq "a JWT-SVID from another iss is refused" "$CODE" 401
check_match "the reason" "$BODY" 'issuer https://other.test is not trusted'
post "$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/ci/sa/x" | jq -c 'del(.aud)')")"
check_eq "a JWT-SVID without aud is refused" "$CODE" 401
check_match "the reason" "$BODY" 'aud is missing'
post "$(svid_jwt "$(jwt_claims "spiffe://other.test/ns/ci/sa/x")")"
check_eq "a JWT-SVID of another trust domain is refused" "$CODE" 401
check_match "the reason" "$BODY" 'not a SPIFFE ID of trust domain mesh.test'
post "$(svid_jwt "$(jwt_claims "ci-runner")")"
check_eq "a JWT-SVID whose sub is no SPIFFE ID is refused" "$CODE" 401
post "$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/payments/sa/api")")"
check_eq "a SPIFFE ID outside the pattern is refused (403)" "$CODE" 403
check_match "with the reason" "$BODY" 'SPIFFE ID spiffe://mesh.test/ns/payments/sa/api matches none of spiffe_ids'
post "$(mint_token "$(claims_for alice '["ci"]')")"
check_eq "a person's ID token does not match a spiffe_ids role" "$CODE" 403

post "" --cert "$T_TMP/builder.pem" --key "$T_TMP/builder.key"
check_eq "an X.509-SVID on mTLS gets a user certificate" "$CODE" 201
check_eq "with its principals" "$(jq -c .principals <<<"$BODY")" '["ci/builder","ci/deploy"]'
post "" --cert "$T_TMP/payments.pem" --key "$T_TMP/payments.key"
check_eq "an X.509-SVID outside the pattern is refused (403)" "$CODE" 403
check_match "with the reason" "$BODY" 'SPIFFE ID spiffe://mesh.test/ns/payments/sa/api matches none of spiffe_ids'
post "" --cert "$T_TMP/rogue.pem" --key "$T_TMP/rogue.key"
check_eq "an X.509-SVID of another root is refused (401)" "$CODE" 401
post ""
check_eq "no token and no SVID: 401" "$CODE" 401

rows=$(psql_admin -c "SELECT count(*) FROM certificates WHERE spiffe_id IS NOT NULL")
check_eq "the ledger names the SPIFFE ID of each workload certificate" "$rows" 4
row=$(psql_admin -c "SELECT issuer || ' ' || spiffe_id FROM certificates WHERE spiffe_id LIKE '%builder'")
check_eq "an X.509-SVID's certificate: issuer spiffe://TRUST-DOMAIN" "$row" "spiffe://$TD spiffe://$TD/ns/ci/sa/builder"
integrated() {
    test "$(psql_admin -c "SELECT count(*) FROM log_leaves")" -gt 0 &&
        test "$(psql_admin -c "SELECT count(*) FROM certificates c WHERE NOT EXISTS
            (SELECT 1 FROM log_leaves l WHERE l.seq = c.seq)")" = 0
}
check "the log integrates every certificate" wait_for 20 integrated
out=$("$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json" 2>&1)
echo "$out" >>"$T_LOG"
check_match "meshcad ledger verify: intact" "$out" '^ok: log verified'
entry=$(psql_admin -c "SELECT convert_from(entry, 'UTF8') FROM certificates WHERE spiffe_id LIKE '%runner'")
check_eq "the certificate's log entry names the SPIFFE ID" "$(jq -r .spiffe_id <<<"$entry")" "spiffe://$TD/ns/ci/sa/runner"

ex=$(curl -sS --cacert "$T_TMP/tls-ca.pem" -H "Authorization: Bearer $(svid_jwt "$(jwt_claims "spiffe://$TD/ns/payments/sa/api")")" \
    -H 'Content-Type: application/json' -d '{}' "$MESHCAD_URL/v1/explain" 2>>"$T_LOG")
echo "$ex" >>"$T_LOG"
check_match "/v1/explain says why a workload is refused" "$ex" 'matches none of spiffe_ids'

# Keys from the SPIRE OIDC discovery provider (here a stand-in on loopback
# serving the same key set): discovery document, then its jwks_uri.
mkdir -p "$T_TMP/oidc"
OIDC_PORT=$(free_port)
OIDC=http://127.0.0.1:$OIDC_PORT
jq -n --arg iss "$OIDC" '{issuer: $iss, jwks_uri: ($iss + "/keys"),
    authorization_endpoint: ($iss + "/auth"), response_types_supported: ["id_token"],
    subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"]}' \
    >"$T_TMP/oidc/discovery.json"
cp "$T_TMP/spire/jwks.json" "$T_TMP/oidc/keys.json"
node -e '
  const http = require("http"), fs = require("fs"), [dir, port] = process.argv.slice(1);
  const files = { "/.well-known/openid-configuration": "discovery.json", "/keys": "keys.json" };
  http.createServer((q, r) => {
    const f = files[q.url];
    if (!f) { r.writeHead(404); r.end(); return; }
    r.writeHead(200, { "content-type": "application/json" });
    r.end(fs.readFileSync(dir + "/" + f));
  }).listen(Number(port), "127.0.0.1");' "$T_TMP/oidc" "$OIDC_PORT" >>"$T_LOG" 2>&1 &
OIDC_PID=$!
at_exit "kill $OIDC_PID"
check "the discovery stand-in answers" wait_port "$OIDC_PORT" 10
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
jq --arg iss "$OIDC" '.issuers[1] = {kind: "jwt-svid", issuer: $iss, audiences: ["meshca"]}' \
    "$T_TMP/meshcad.json" >"$T_TMP/disc.json"
meshcad_start "$T_TMP/disc.json"
post "$(svid_jwt "$(jwt_claims "spiffe://$TD/ns/ci/sa/discovered" "{\"iss\": \"$OIDC\"}")")"
check_eq "a JWT-SVID verified with keys from OIDC discovery gets a certificate" "$CODE" 201
check_eq "for its SPIFFE ID" "$(jq -c .principals <<<"$BODY")" '["ci/discovered","ci/deploy"]'
