#!/usr/bin/env bash
# Abuse: thousands of malformed and hostile requests (bad JSON, wrong types,
# oversized fields, invalid keys, forged tokens, lying lengths, header floods,
# non-HTTP bytes) against a running meshcad (under ASan in the SAN=1 run):
# no crash, no certificate, every answer a 4xx (or the connection closed).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
stack_init
stack_config_extra '{"limits": {"rate_per_minute": 0, "max_connections_per_ip": 512}}'
stack_start
out=$(node "$MESHCA_TOP/tests/tools/abuse.js" "$MESHCAD_URL" "$(token 1)" 100 2>>"$T_LOG")
echo "# abuse replies: $out"
echo "$out" >>"$T_LOG"
total=$(echo "$out" | jq '[.[]] | add')
check "3,200 hostile requests were sent and answered ($total)" test "${total:-0}" -ge 3200
bad=$(echo "$out" | jq '[to_entries[] | select((.key | test("^4[0-9][0-9]$")) or .key == "closed" | not) | .value] | add // 0')
check_eq "every answer was a 4xx or a closed connection" "$bad" 0
check "meshcad is still running" kill -0 "$MESHCAD_PID"
check_eq "no certificate was issued" "$(psql_admin -c 'SELECT count(*) FROM certificates')" 0
check "and it still serves" curl -fsS "$MESHCAD_URL/healthz"
check_fails "no sanitizer report in meshcad's log" grep -q 'ERROR: AddressSanitizer\|runtime error:' "$T_TMP/meshcad.log"
