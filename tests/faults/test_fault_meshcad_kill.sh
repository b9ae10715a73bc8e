#!/usr/bin/env bash
# Fault: meshcad killed with -9 under load.  The chain verifies, no partial
# records exist, and a restart serves at once.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
stack_load_start
loadgen_run "$MESHCAD_URL" --conns 16 --duration 4 \
    --keys 5000 --serials "$T_TMP/serials" &
lg=$!
wait_for 10 metric_at_least "$MESHCAD_URL" meshca_certificates_issued_total 200
kill -9 "$MESHCAD_PID"
wait "$MESHCAD_PID" 2>/dev/null
wait "$lg"
check "the ledger chain verifies after meshcad was killed" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
check_eq "no certificate row lacks its certificate or serial" \
    "$(psql_admin -c "SELECT count(*) FROM certificates WHERE certificate IS NULL OR serial IS NULL OR principals IS NULL")" 0
check_eq "every returned certificate is in the ledger" "$(returned_missing)" 0
t0=$(date +%s%N)
meshcad_start "$T_TMP/meshcad.json"
issue "$(token 4)" "{\"public_key\":\"$(user_key again)\"}"
echo "# restart to first certificate: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check_eq "a restarted meshcad issues at once" "$HTTP_STATUS" 201
