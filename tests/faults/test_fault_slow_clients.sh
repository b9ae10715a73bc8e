#!/usr/bin/env bash
# Fault: slow clients holding connections open (slowloris) do not stop others
# from being served; the connection timeout reaps them.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
stack_init
stack_config_extra '{"limits": {"connection_timeout": "3s", "max_connections_per_ip": 200, "rate_per_minute": 0}}'
stack_start
pids=()
for i in $(seq 1 100); do
    # Sends half a request, then dribbles a header byte now and then.
    ( exec 3<>"/dev/tcp/127.0.0.1/$MESHCAD_PORT" || exit 0
      printf 'POST /v1/certificates HTTP/1.1\r\nHost: x\r\n' >&3
      for j in 1 2 3 4 5 6 7 8 9 10; do printf 'X' >&3 2>/dev/null || exit 0; sleep 1; done ) &
    pids+=($!)
done
at_exit "kill ${pids[*]} 2>/dev/null"
slow_connected() { [ "$(ss -Htn state established "( dport = :$MESHCAD_PORT )" | wc -l)" -ge 100 ]; }
wait_for 10 slow_connected
t0=$(date +%s%N)
issue "$(token 2)" "{\"public_key\":\"$(user_key fast)\"}"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# an honest request with 100 slow clients connected took $ms ms"
check_eq "an honest client is served while 100 slow ones hang on" "$HTTP_STATUS" 201
check_eq "healthz answers too" "$(curl -s -o /dev/null -w '%{http_code}' "$MESHCAD_URL/healthz")" 200
