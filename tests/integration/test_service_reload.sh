#!/usr/bin/env bash
# SIGHUP reloads the policy without a restart: a broken policy is refused
# (logged, old one keeps issuing); a good one takes effect at once, and each
# loaded version is recorded in the ledger.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_config_extra '{"issuers": [{"issuer": "https://idp.test.invalid", "audiences": ["meshca"], "jwks_file": "jwks.json", "max_token_age": "2h", "max_certificates_per_token": 1000}]}'
stack_start
want() {  # principal -> status
    issue "$(token 1)" "{\"public_key\":\"$(user_key k)\",\"principals\":[\"$1\"]}"
    echo "$HTTP_STATUS"
}
check_eq "the first policy grants payments/api" "$(want payments/api)" 201
check_eq "the first policy refuses payments/db" "$(want payments/db)" 403
v1=$(psql_admin -c "SELECT count(*) FROM policy_versions")

echo '{ "roles": [ { "name": "bench", "match": { "groups": ["bench"] }, "principals": ["payments/db"], "max_ttl": "99h" } ] }' >"$T_TMP/policy.json"
kill -HUP "$MESHCAD_PID"
wait_for 10 grep -q 'policy reload refused' "$T_TMP/meshcad.log"
check "the refused reload is logged" grep -q 'policy reload refused' "$T_TMP/meshcad.log"
check_eq "after a broken policy the old one still grants payments/api" "$(want payments/api)" 201
check_eq "and still refuses payments/db" "$(want payments/db)" 403

echo '{ "roles": [ { "name": "bench", "match": { "groups": ["bench"] }, "principals": ["payments/db"], "max_ttl": "10m" } ] }' >"$T_TMP/policy.json"
kill -HUP "$MESHCAD_PID"
for i in $(seq 50); do grep -q '"policy reloaded"' "$T_TMP/meshcad.log" && break; sleep 0.1; done
check_eq "after a good reload payments/db is granted" "$(want payments/db)" 201
check_eq "and payments/api is refused" "$(want payments/api)" 403
check_eq "the new policy version is in the ledger" "$(psql_admin -c "SELECT count(*) FROM policy_versions")" "$((v1 + 1))"
check "meshcad is still the same process" kill -0 "$MESHCAD_PID"
