#!/usr/bin/env bash
# A database that takes TCP connections but never answers (a hung server, a
# proxy whose backend is gone, a blackholed route): every meshcad thread
# that connects -- the ledger's writers and reader, the log integrator, the
# webhook delivery thread, `meshcad ledger verify` -- gives up after the one
# connect_timeout (api/db.c), so verify fails instead of hanging, /readyz
# reports the database down within seconds, and SIGTERM stops meshcad
# promptly instead of waiting forever on a connect that will never complete.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
# The tarpit: listens, never accepts, never answers; the kernel completes
# the TCP handshake, so libpq sends its startup packet and waits for a reply.
TARPIT_PORT=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True: time.sleep(60)' "$TARPIT_PORT" >>"$T_LOG" 2>&1 &
TARPIT_PID=$!
at_exit "kill $TARPIT_PID; wait $TARPIT_PID"
wait_port "$TARPIT_PORT" 10 || bail "the tarpit did not start"

(umask 077 && openssl rand -hex 32 | tr -d '\n' >"$T_TMP/hook.secret")
stack_config_extra "{\"database\": \"postgresql://meshca_admin@127.0.0.1:$TARPIT_PORT/meshca\",
  \"notifications\": {\"webhooks\": [
    {\"url\": \"http://127.0.0.1:$(free_port)/hook\", \"format\": \"json\", \"secret_file\": \"hook.secret\"}]}}"
# meshcad ledger verify (no statement timeout: it reads the whole ledger)
# still gives up connecting.
t0=$(date +%s%N)
timeout 30 "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json" >"$T_TMP/verify.out" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cat "$T_TMP/verify.out" >>"$T_LOG"
check_eq "meshcad ledger verify gives up (exit 2, after $ms ms; 124: still waiting at 30 s)" "$rc" 2
check_match "and says the database is unreachable, on one line" "$(cat "$T_TMP/verify.out")" '^meshcad ledger verify: database unreachable: .*timeout expired$'

stack_start

ready=$(curl -s -m 20 -w ' %{http_code}' "$MESHCAD_URL/readyz")
check_match "readyz answers 503 with the database down" "$ready" '"database":"database unreachable.*timeout expired.* 503$'
# Every thread has tried (and, with a timeout, given up) at least once.
sleep 4
t0=$(date +%s%N)
kill -TERM "$MESHCAD_PID"
stopped=""
for i in $(seq 1 150); do
    if ! kill -0 "$MESHCAD_PID" 2>/dev/null; then
        stopped=$(( ($(date +%s%N) - t0) / 1000000 )); break
    fi
    sleep 0.1
done
check "SIGTERM stops meshcad within 15 s (${stopped:-not after 15000} ms)" test -n "$stopped"
if [ -z "$stopped" ]; then
    # Where it waits, for the log.
    gdb -batch -p "$MESHCAD_PID" -ex 'thread apply all bt 8' >>"$T_LOG" 2>&1 || true
    kill -KILL "$MESHCAD_PID"
fi
wait "$MESHCAD_PID"; rc=$?
check_eq "and it exits 0" "$rc" 0
