#!/usr/bin/env bash
# Fail closed: with PostgreSQL stopped during issuance every request answers
# 503 or 201, every 201's serial is in the ledger afterwards, and issuance
# resumes after PostgreSQL returns without restarting meshcad.  Then an
# outage with no traffic: the pooled connections die while idle, yet every
# request after the restart succeeds (none fails on a dead connection),
# /readyz is ok within 2 s, and each outage is logged once as an error and
# its end once as info.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_load_start

loadgen_run "$MESHCAD_URL" --conns 8 --duration 6 \
    --keys 3000 --serials "$T_TMP/serials" --json "$T_TMP/load.json" &
lg=$!
wait_for 10 metric_at_least "$MESHCAD_URL" meshca_certificates_issued_total 50
pg_stop
check_match "readyz reports the database down" "$(curl -s "$MESHCAD_URL/readyz")" '"database":"[^o]'
code=$(curl -s -o /dev/null -w '%{http_code}' "$MESHCAD_URL/v1/ca-keys")
check_eq "ca-keys keeps answering without the database" "$code" 200
# Restart once the load has met the outage (requests refused for it).
wait_for 10 metric_at_least "$MESHCAD_URL" meshca_ledger_unavailable_total 20
pg_restart || bail "PostgreSQL did not restart"
wait "$lg"
cat "$T_TMP/load.json" >>"$T_LOG"
other=$(jq '[.status | to_entries[] | select(.key != "201" and .key != "503") | .value] | add // 0' "$T_TMP/load.json")
check_eq "every answer was 201 or 503" "$other" 0
check_eq "no connection was dropped" "$(jq .connection_errors "$T_TMP/load.json")" 0
n503=$(jq '.status["503"] // 0' "$T_TMP/load.json")
check "some requests met the outage (503: $n503)" test "$n503" -gt 0
check_eq "every returned certificate is in the ledger" "$(returned_missing)" 0
check "certificates were returned before and after the outage ($(wc -l <"$T_TMP/returned"))" test "$(wc -l <"$T_TMP/returned")" -gt 10

# Issuance resumes
ok_after=0
for i in $(seq 1 50); do
    issue "$(token 7)" "{\"public_key\":\"$(user_key resume)\"}"
    if [ "$HTTP_STATUS" = 201 ]; then ok_after=1; break; fi
    sleep 0.1
done
check_eq "issuance resumes after PostgreSQL returns" "$ok_after" 1
# count_log MSG_PREFIX: meshcad log lines with that message.
count_log() { grep -c "\"msg\":\"$1" "$T_TMP/meshcad.log"; }
# wait_log MSG_PREFIX N: until N such lines (20 s at most).
wait_log() {
    local i
    for i in $(seq 1 200); do
        [ "$(count_log "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
wait_log "database reachable again" 1
# Kept in the suite's log, so a miscount shows what was logged and when.
grep '"msg":"database' "$T_TMP/meshcad.log" | sed 's/^/  meshcad: /' >>"$T_LOG"
check_eq "the outage under load was logged once, as an error" \
    "$(grep '"msg":"database unreachable' "$T_TMP/meshcad.log" | grep -c '"level":"error"')" 1
check_eq "and its end once" "$(count_log "database reachable again")" 1

# An outage with no traffic: every writer holds a connection that dies idle.
loadgen_run "$MESHCAD_URL" --conns 16 --requests 200 \
    --keys 200 --json "$T_TMP/warm.json"
check_eq "warm-up: every request got a certificate" "$(jq '.status["201"] // 0' "$T_TMP/warm.json")" 200
pg_stop
check "an idle outage is noticed and logged (without a request)" wait_log "database unreachable" 2
check_match "readyz reports the database down" "$(curl -s "$MESHCAD_URL/readyz")" '"database":"[^o]'
pg_restart || bail "PostgreSQL did not restart"
loadgen_run "$MESHCAD_URL" --conns 8 --requests 40 \
    --keys 40 --json "$T_TMP/after.json"
cat "$T_TMP/after.json" >>"$T_LOG"
check_eq "after the restart, every one of 40 requests got a certificate" \
    "$(jq '.status["201"] // 0' "$T_TMP/after.json")" 40
t0=$(date +%s%N); ready=""
for i in $(seq 1 40); do
    if curl -fsS -o /dev/null "$MESHCAD_URL/readyz"; then ready=$(( ($(date +%s%N) - t0) / 1000000 )); break; fi
    sleep 0.05
done
check "readyz is ok within 2 s of the restart (${ready:-never} ms)" test -n "$ready"
check "the end of the idle outage is logged" wait_log "database reachable again" 2
grep '"msg":"database' "$T_TMP/meshcad.log" | sed 's/^/  meshcad: /' >>"$T_LOG"
check_eq "each outage was logged exactly once" "$(count_log "database unreachable")" 2
check_eq "and each recovery exactly once" "$(count_log "database reachable again")" 2
check "the ledger chain verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
