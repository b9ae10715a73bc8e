#!/usr/bin/env bash
# Fault: PostgreSQL killed with -9 under load, then restarted.  No certificate
# is returned without its ledger record; issuance resumes within 5 s of the
# database's return (measured and printed); /readyz is ok within 2 s of it;
# after it every one of 40 requests succeeds (none fails on a pooled
# connection that died); the outage is logged once (error), its end once.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
PG_FSYNC=on
stack_load_start
loadgen_run "$MESHCAD_URL" --conns 16 --duration 8 \
    --keys 5000 --serials "$T_TMP/serials" --json "$T_TMP/load.json" &
lg=$!
wait_for 10 metric_at_least "$MESHCAD_URL" meshca_certificates_issued_total 200
pg_kill9
wait_for 10 metric_at_least "$MESHCAD_URL" meshca_ledger_unavailable_total 20
pg_restart || bail "PostgreSQL did not restart"
back=$(date +%s%N)
ready=""
for i in $(seq 1 40); do
    if curl -fsS -o /dev/null "$MESHCAD_URL/readyz"; then ready=$(( ($(date +%s%N) - back) / 1000000 )); break; fi
    sleep 0.05
done
check "readyz is ok within 2 s of PostgreSQL's return (${ready:-never} ms)" test -n "$ready"
resumed=""
for i in $(seq 1 100); do
    issue "$(token 3)" "{\"public_key\":\"$(user_key r)\"}"
    if [ "$HTTP_STATUS" = 201 ]; then resumed=$(( ($(date +%s%N) - back) / 1000000 )); break; fi
    sleep 0.05
done
wait "$lg"
echo "# issuance resumed ${resumed:-never} ms after PostgreSQL returned"
check "issuance resumed within 5 s of PostgreSQL's return (${resumed:-never} ms)" test -n "$resumed" -a "${resumed:-99999}" -lt 5000
other=$(jq '[.status | to_entries[] | select(.key != "201" and .key != "503") | .value] | add // 0' "$T_TMP/load.json")
check_eq "every answer under load was 201 or 503" "$other" 0
check_eq "no certificate returned without its ledger record" "$(returned_missing)" 0
loadgen_run "$MESHCAD_URL" --conns 8 --requests 40 \
    --keys 40 --json "$T_TMP/after.json"
cat "$T_TMP/after.json" >>"$T_LOG"
check_eq "after the restart, every one of 40 requests got a certificate" \
    "$(jq '.status["201"] // 0' "$T_TMP/after.json")" 40
for i in $(seq 1 200); do
    grep -q '"msg":"database reachable again' "$T_TMP/meshcad.log" && break
    sleep 0.1
done
check_eq "the outage was logged exactly once, as an error" \
    "$(grep '"msg":"database unreachable' "$T_TMP/meshcad.log" | grep -c '"level":"error"')" 1
check_eq "and its end exactly once" "$(grep -c '"msg":"database reachable again' "$T_TMP/meshcad.log")" 1
check "the ledger chain verifies after the crash" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
