#!/usr/bin/env bash
# Fail closed at start: until meshcad has loaded the revocation state from the
# ledger it issues nothing (503 with Retry-After), so a blocked subject cannot
# slip through before the first rebuild.  The state cannot load here because
# meshcad runs as a least-privileged role that was not granted SELECT on
# revocations; once granted, the block applies and others are served again.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_config_extra '{"limits": {"rate_per_minute": 0}}'
# A block recorded before this meshcad starts.
psql_admin -c "INSERT INTO revocations (kind, value, reason, revoked_by, block_until, request_id)
    VALUES ('subject', 'bench-user-3', 'incident', 'carol@example.com', now() + interval '1 hour', 'test')" \
    >>"$T_LOG" 2>&1 || bail "cannot record the block"
# README's least-privileged role, missing SELECT on revocations.
psql_admin >>"$T_LOG" 2>&1 <<'SQL' || bail "cannot create the service role"
CREATE ROLE meshcad_svc LOGIN;
GRANT USAGE ON SCHEMA public TO meshcad_svc;
GRANT SELECT, INSERT ON certificates, denials, policy_versions TO meshcad_svc;
GRANT INSERT ON revocations TO meshcad_svc;
GRANT SELECT, INSERT, UPDATE ON token_uses TO meshcad_svc;
GRANT USAGE ON SEQUENCE ledger_seq TO meshcad_svc;
GRANT SELECT, INSERT, UPDATE ON log_state, log_tiles TO meshcad_svc;
GRANT SELECT, INSERT ON log_leaves, log_checkpoints, log_quarantine TO meshcad_svc;
GRANT SELECT ON log_v1, schema_migrations TO meshcad_svc;
GRANT SELECT, INSERT ON logins TO meshcad_svc;
GRANT SELECT, INSERT, UPDATE ON host_reports TO meshcad_svc;
SQL
stack_config_extra "{\"database\": \"postgresql://meshcad_svc@127.0.0.1:$PG_PORT/meshca\"}"
stack_start

# issue_h TOKEN BODY: like issue, with the response headers in $T_TMP/headers.
issue_h() {
    HTTP_STATUS=$(curl -sS -D "$T_TMP/headers" -o "$T_TMP/resp" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        --data-binary "$2" "$MESHCAD_URL/v1/certificates" 2>>"$T_LOG")
    HTTP_BODY=$(cat "$T_TMP/resp")
    echo "-> $HTTP_STATUS $HTTP_BODY" >>"$T_LOG"
}

issue_h "$(token 3)" "{\"public_key\":\"$(user_key k3)\"}"
check_eq "a blocked subject gets no certificate while the state is not loaded (503)" "$HTTP_STATUS" 503
check_match "and is told why" "$HTTP_BODY" 'revocation list has not been loaded'
check_match "with Retry-After" "$(tr -d '\r' <"$T_TMP/headers")" $'(^|\n)[Rr]etry-[Aa]fter: [0-9]+'
issue_h "$(token 4)" "{\"public_key\":\"$(user_key k4)\"}"
check_eq "nobody gets a certificate while the state is not loaded (503)" "$HTTP_STATUS" 503
check_eq "no certificate was recorded" "$(psql_admin -c 'SELECT count(*) FROM certificates')" 0

psql_admin -c "GRANT SELECT ON revocations TO meshcad_svc" >>"$T_LOG" 2>&1
for i in $(seq 1 200); do
    issue_h "$(token 4)" "{\"public_key\":\"$(user_key k4)\"}"
    [ "$HTTP_STATUS" = 201 ] && break
    sleep 0.1
done
check_eq "once the state loads, issuance resumes" "$HTTP_STATUS" 201
issue_h "$(token 3)" "{\"public_key\":\"$(user_key k3)\"}"
check_eq "and the blocked subject is refused (403)" "$HTTP_STATUS" 403
check_match "because of the block" "$HTTP_BODY" 'blocked until'
