#!/usr/bin/env bash
# systemd: the units `make install-data` installs pass `systemd-analyze
# verify` (binaries and man pages in place); meshcad.service rates "OK" or
# better in `systemd-analyze security --offline=true` (README quotes the
# score); and meshcad serve speaks the sd_notify protocol to $NOTIFY_SOCKET
# as Type=notify needs: READY=1 only once it answers HTTP, RELOADING=1 then
# READY=1 around SIGHUP, STOPPING=1 on SIGTERM, nothing when it fails to start.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

ROOT=$T_TMP/root
UNITS=$ROOT/usr/lib/systemd/system
make -s -C "$MESHCA_TOP" install-data PREFIX="$ROOT/usr" >>"$T_LOG" 2>&1 || bail "make install-data failed"
install -D -t "$ROOT/usr/bin" -m 0755 "$MESHCAD_BIN" "$MESHCA_BIN" || bail "cannot copy the binaries"
for u in meshcad.service meshca-refresh.service meshca-refresh.timer meshca-host-report.service; do
    check "$u is installed with its binaries' path" grep -q "$ROOT/usr/bin/meshca\|^OnUnitActiveSec" "$UNITS/$u"
    check "systemd-analyze verify passes on $u" \
        env MANPATH="$ROOT/usr/share/man" systemd-analyze verify "$UNITS/$u"
done
mkdir -p "$T_TMP/bad"
sed "s|$ROOT/usr/bin/meshcad serve|$ROOT/usr/bin/nonexistent serve|" "$UNITS/meshcad.service" \
    >"$T_TMP/bad/meshcad.service"
check_fails "systemd-analyze verify fails on a unit whose binary is missing" \
    env MANPATH="$ROOT/usr/share/man" systemd-analyze verify "$T_TMP/bad/meshcad.service"

systemd-analyze security --offline=true "$UNITS/meshcad.service" >"$T_TMP/security.txt" 2>&1
level=$(sed -nE 's/.*Overall exposure level for meshcad.service: ([0-9.]+) ([A-Z]+).*/\1 \2/p' "$T_TMP/security.txt")
echo "security: $level" >>"$T_LOG"
check_match "systemd-analyze security rates meshcad.service OK or better" "$level" ' (OK|SAFE|PERFECT)$'
check "and at most 1.2, the score README.md quotes" awk -v l="${level%% *}" 'BEGIN { exit !(l != "" && l <= 1.2) }'
check "README.md quotes that score" \
    bash -c "tr -s '\n ' '  ' <'$MESHCA_TOP/README.md' | grep -q 'exposure level for meshcad.service: 1\.2 OK'"
for k in Type=notify ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes 'CapabilityBoundingSet=$' \
    SystemCallFilter=@system-service 'ExecReload=/bin/kill -HUP \$MAINPID'; do
    check "meshcad.service has $k" grep -qx "$k" "$UNITS/meshcad.service"
done

# sd_notify: a datagram socket as systemd would pass it.
NOTES=$T_TMP/notify.log
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$T_TMP/notify.sock" "$NOTES" &
at_exit "kill $!"
wait_for 10 test -S "$T_TMP/notify.sock" || bail "the notify listener did not start"

stack_init
# A start that fails (the policy is broken) must never say READY=1.
cp "$T_TMP/policy.json" "$T_TMP/policy.good"
echo '{ "roles": [' >"$T_TMP/policy.json"
NOTIFY_SOCKET=$T_TMP/notify.sock "$MESHCAD_BIN" serve --config "$T_TMP/meshcad.json" >>"$T_LOG" 2>&1
check_eq "meshcad serve with a broken policy exits 1" "$?" 1
check_eq "and sends no READY=1" "$(grep -c 'READY=1' "$NOTES")" 0
cp "$T_TMP/policy.good" "$T_TMP/policy.json"

NOTIFY_SOCKET=$T_TMP/notify.sock "$MESHCAD_BIN" serve --config "$T_TMP/meshcad.json" >>"$T_TMP/meshcad.log" 2>&1 &
pid=$!
at_exit "kill $pid"
check "meshcad serve sends READY=1" wait_for 30 grep -q 'READY=1' "$NOTES"
# The first try, no polling: READY=1 means the listener is up.
check "once READY=1 arrived, /healthz answers at the first try" \
    curl -fsS "http://127.0.0.1:$MESHCAD_PORT/healthz"
check "READY=1 carries a STATUS" grep -q 'READY=1 STATUS=serving' "$NOTES"

kill -HUP "$pid"
check "SIGHUP sends RELOADING=1" wait_for 10 grep -q 'RELOADING=1' "$NOTES"
check "then READY=1 again" wait_for 10 bash -c "[ \$(grep -c 'READY=1' '$NOTES') -ge 2 ]"
check_eq "in that order" "$(grep -o -e 'RELOADING=1' -e '^READY=1' "$NOTES" | tr '\n' ' ')" "READY=1 RELOADING=1 READY=1 "
check "RELOADING=1 carries MONOTONIC_USEC" grep -q 'RELOADING=1 .*MONOTONIC_USEC=[0-9]' "$NOTES"

# meshca-refresh.service's own commands, as installed, against this meshcad
# (its files redirected from /etc/ssh to the temp dir).
mkdir -p "$T_TMP/ssh"
echo "MESHCA_SERVER=http://127.0.0.1:$MESHCAD_PORT" >"$T_TMP/refresh.env"
n=0
while read -r cmd; do
    n=$((n + 1))
    check "refresh ExecStart #$n runs: ${cmd##*/}" \
        env $(cat "$T_TMP/refresh.env") bash -c "${cmd//\/etc\/ssh\//$T_TMP/ssh/}"
done < <(sed -n 's/^ExecStart=//p' "$UNITS/meshca-refresh.service")
check_eq "meshca-refresh.service has two commands" "$n" 2
check "the CA keys it fetched are this meshcad's" grep -qF "$(cut -d' ' -f2 "$T_TMP/ca.pub")" "$T_TMP/ssh/meshca_ca.pub"
ssh-keygen -Q -f "$T_TMP/ssh/meshca.krl" "$T_TMP/ssh/meshca_ca.pub" >>"$T_LOG" 2>&1
check "the KRL it fetched parses with ssh-keygen -Q" test $? -le 1

kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: meshcad exits 0" "$?" 0
check "SIGTERM sends STOPPING=1" grep -q 'STOPPING=1' "$NOTES"
