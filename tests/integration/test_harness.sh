#!/usr/bin/env bash
# The harness itself: PostgreSQL and sshd start on free loopback ports, answer
# (a query; an SSH banner), and leave no process or temp dir behind.
. "$(dirname "$0")/../lib/harness.sh"

# A child test run that starts both servers, records what it started, exits.
cat >"$T_TMP/child.sh" <<CHILD
. "$MESHCA_TOP/tests/lib/harness.sh"
pg_start
echo "pg_answer=\$(psql_admin -c 'SELECT 40 + 2')"
ssh-keygen -q -t ed25519 -N '' -f "\$T_TMP/ca" >/dev/null
sshd_start "\$T_TMP/ca.pub"
exec 3<>"/dev/tcp/127.0.0.1/\$SSHD_PORT"
read -r banner <&3
exec 3<&-
echo "banner=\$banner"
echo "pg_pid=\$(head -n 1 "\$PG_DIR/data/postmaster.pid")"
echo "sshd_pid=\$SSHD_PID"
echo "tmp=\$T_TMP"
echo "ports=\$PG_PORT \$SSHD_PORT"
CHILD
out=$(bash "$T_TMP/child.sh" 2>>"$T_LOG")
echo "$out" >>"$T_LOG"
get() { echo "$out" | sed -n "s/^$1=//p" | tr -d '\r'; }

check_eq "PostgreSQL answered a query" "$(get pg_answer)" "42"
check_match "sshd answered with an SSH banner" "$(get banner)" '^SSH-2\.0-OpenSSH'
pg_pid=$(get pg_pid); sshd_pid=$(get sshd_pid); child_tmp=$(get tmp)
check "the child recorded its servers" test -n "$pg_pid" -a -n "$sshd_pid" -a -n "$child_tmp"
check_fails "PostgreSQL is gone after the test" kill -0 "$pg_pid"
check_fails "sshd is gone after the test" kill -0 "$sshd_pid"
check_fails "the temp dir is gone after the test" test -e "$child_tmp"
for p in $(get ports); do
    check_fails "nothing listens on port $p any more" bash -c "exec 3<>/dev/tcp/127.0.0.1/$p"
done
