#!/usr/bin/env bash
# Fail closed: with PostgreSQL stopped during issuance every request answers
# 503 or 201, every 201's serial is in the ledger afterwards, and issuance
# resumes after PostgreSQL returns without restarting meshcad.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_config_extra '{"issuers": [{"issuer": "https://idp.test.invalid", "audiences": ["meshca"], "jwks_file": "jwks.json", "max_token_age": "2h", "max_certificates_per_token": 100000}], "limits": {"rate_per_minute": 0}}'
stack_start

LOADGEN=$BUILD/tests/bench/loadgen
"$LOADGEN" run --url "$MESHCAD_URL" --tokens "$T_TMP/tokens.txt" --conns 8 --duration 6 \
    --keys 3000 --serials "$T_TMP/serials" --json "$T_TMP/load.json" >>"$T_LOG" 2>&1 &
lg=$!
sleep 1.5
pg_stop
check_match "readyz reports the database down" "$(curl -s "$MESHCAD_URL/readyz")" '"database":"[^o]'
code=$(curl -s -o /dev/null -w '%{http_code}' "$MESHCAD_URL/v1/ca-keys")
check_eq "ca-keys keeps answering without the database" "$code" 200
sleep 1.5
pg_restart || bail "PostgreSQL did not restart"
wait "$lg"
cat "$T_TMP/load.json" >>"$T_LOG"
other=$(jq '[.status | to_entries[] | select(.key != "201" and .key != "503") | .value] | add // 0' "$T_TMP/load.json")
check_eq "every answer was 201 or 503" "$other" 0
check_eq "no connection was dropped" "$(jq .connection_errors "$T_TMP/load.json")" 0
n503=$(jq '.status["503"] // 0' "$T_TMP/load.json")
check "some requests met the outage (503: $n503)" test "$n503" -gt 0
sort -u "$T_TMP/serials" >"$T_TMP/returned"
psql_admin -c "SELECT serial FROM certificates" | sort -u >"$T_TMP/ledger"
check_eq "every returned certificate is in the ledger" "$(comm -23 "$T_TMP/returned" "$T_TMP/ledger" | wc -l)" 0
check "certificates were returned before and after the outage ($(wc -l <"$T_TMP/returned"))" test "$(wc -l <"$T_TMP/returned")" -gt 10

# Issuance resumes
ok_after=0
for i in $(seq 1 50); do
    issue "$(token 7)" "{\"public_key\":\"$(user_key resume)\"}"
    if [ "$HTTP_STATUS" = 201 ]; then ok_after=1; break; fi
    sleep 0.1
done
check_eq "issuance resumes after PostgreSQL returns" "$ok_after" 1
check "the ledger chain verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
