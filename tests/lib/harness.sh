# Integration-test harness: source it from a tests/integration/test_*.sh.
#
# It gives each test a private temp dir ($T_TMP), free loopback ports, real
# servers (PostgreSQL, sshd, meshcad, the test identity provider) that are
# always torn down on exit, and result reporting:
#   ok DESC / not_ok DESC          record a result line
#   check DESC CMD...              ok when CMD exits 0
#   check_fails DESC CMD...        ok when CMD exits non-zero
#   check_eq DESC GOT WANT         ok when the strings are equal
#   check_match DESC TEXT REGEX    ok when TEXT matches the (ERE) regex
# Command output goes to $T_LOG; on a failed check its tail is printed.
#
# Servers:
#   pg_start                 -> PG_PORT, PG_DIR, PG_ADMIN_URL, PG_URL (database "meshca")
#       durability knobs (PostgreSQL settings): PG_FSYNC (default off),
#       PG_SYNC_COMMIT (synchronous_commit, default on), PG_FULL_PAGE_WRITES
#       (default on), PG_TRACK_COMMIT_TS (track_commit_timestamp, default off)
#   psql_admin SQL...        run SQL as the cluster's superuser on "meshca"
#   sshd_start CA_PUB [KRL]  -> SSHD_PORT, SSHD_DIR; principals via sshd_principals
#   sshd_principals USER P...  write the AuthorizedPrincipalsFile for USER
#   ssh_as KEY CERT USER CMD...  run ssh to the test sshd with exactly this identity
#   meshcad_start CONFIG     -> MESHCAD_PORT, MESHCAD_URL, MESHCAD_PID
#   idp_start                -> IDP_PORT, IDP_URL (tests/idp, oidc-provider)
set -u

: "${MESHCA_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=$MESHCA_TOP/build}"
MESHCAD_BIN=${MESHCAD_BIN:-$BUILD/meshcad}
MESHCA_BIN=${MESHCA_BIN:-$BUILD/meshca}
# A script's own meshcad only: meshcad_start keeps a preset MESHCAD_URL
# (https), so one exported by a parent script's harness must not leak in.
unset MESHCAD_URL MESHCAD_PID
SSHD_BIN=${SSHD_BIN:-/usr/sbin/sshd}
PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
T_USER=$(id -un)

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/meshca-test.XXXXXX")
chmod 711 "$T_TMP"  # PostgreSQL runs as another user and must traverse it
T_LOG=$T_TMP/test.log
: >"$T_LOG"
T_FAILED=0
_cleanups=()

# Registers a shell command to run at exit (last registered runs first).
at_exit() { _cleanups+=("$*"); }

_harness_exit() {
    local rc=$? i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
    done
    rm -rf "$T_TMP"
    if [ "$T_FAILED" != 0 ] && [ "$rc" = 0 ]; then rc=1; fi
    exit "$rc"
}
trap _harness_exit EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $*"; }
not_ok() {
    echo "not ok - $*"
    T_FAILED=1
    echo "   --- log tail ---"
    tail -n 25 "$T_LOG" | sed 's/^/   | /'
}
check() {
    local desc=$1; shift
    echo "+ $*" >>"$T_LOG"
    if "$@" >>"$T_LOG" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}
check_fails() {
    local desc=$1; shift
    echo "+ (must fail) $*" >>"$T_LOG"
    if "$@" >>"$T_LOG" 2>&1; then not_ok "$desc"; else ok "$desc"; fi
}
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        echo "got:  $2" >>"$T_LOG"; echo "want: $3" >>"$T_LOG"; not_ok "$1"; fi
}
check_match() {
    if [[ "$2" =~ $3 ]]; then ok "$1"; else
        echo "text: $2" >>"$T_LOG"; echo "regex: $3" >>"$T_LOG"; not_ok "$1"; fi
}
# Stops the test at once (a precondition failed).
bail() { not_ok "$*"; exit 1; }

free_port() { "$BUILD/tests/tools/freeport"; }

# agent_start: an ssh-agent on a socket under T_TMP (SSH_AUTH_SOCK exported),
# stopped at exit.
agent_start() {
    ssh-agent -a "$T_TMP/agent.sock" -D >>"$T_LOG" 2>&1 &
    at_exit "kill $!"
    export SSH_AUTH_SOCK=$T_TMP/agent.sock
    wait_for 5 test -S "$SSH_AUTH_SOCK" || bail "ssh-agent did not start"
}

# wait_for SECS CMD...: runs CMD every 50 ms until it succeeds (0) or SECS
# pass (1).  Tests poll for the condition they need instead of sleeping.
wait_for() {
    local end=$(( $(date +%s%N) + $1 * 1000000000 ))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.05
    done
}

# next_second: returns once the clock's second has changed (the test
# provider's ID tokens carry no jti: two for one person in one second are
# the same token, which meshcad refuses as a replay).
next_second() {
    local s
    s=$(date +%s)
    while [ "$(date +%s)" = "$s" ]; do sleep 0.02; done
}

# metric_at_least URL NAME N: the sum of metric NAME's samples is >= N.
metric_at_least() {
    curl -fsS "$1/metrics" 2>/dev/null |
        awk -v n="$2" -v want="$3" '$1 == n || index($1, n "{") == 1 { s += $2 } END { exit !(s >= want) }'
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
    local port=$1 limit=${2:-20} i
    for ((i = 0; i < limit * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# Runs a command as the postgres user when we are root (initdb refuses root).
_as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The server's options but the port (pg_start and pg_restart alike);
# PG_EXTRA_OPTS adds "-c name=value" settings (make bench sizes memory).
_pg_opts() {
    echo "-k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" \
        "-c fsync=${PG_FSYNC:-off} -c synchronous_commit=${PG_SYNC_COMMIT:-on}" \
        "-c full_page_writes=${PG_FULL_PAGE_WRITES:-on}" \
        "-c track_commit_timestamp=${PG_TRACK_COMMIT_TS:-off}" ${PG_EXTRA_OPTS:-}
}

pg_start() {
    local try
    PG_DIR=$T_TMP/pg
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
    _as_pg "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U meshca_admin -A trust -E UTF8 \
        --no-sync --no-instructions >>"$T_LOG" 2>&1 || bail "initdb failed"
    for try in 1 2 3; do
        PG_PORT=$(free_port)
        if _as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
            -o "-p $PG_PORT $(_pg_opts)" \
            start >>"$T_LOG" 2>&1; then
            break
        fi
        PG_PORT=""
    done
    [ -n "$PG_PORT" ] || bail "PostgreSQL did not start"
    at_exit "pg_stop"
    PG_ADMIN_URL="postgresql://meshca_admin@127.0.0.1:$PG_PORT/postgres"
    psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c "CREATE DATABASE meshca" \
        >>"$T_LOG" 2>&1 || bail "CREATE DATABASE failed"
    PG_URL="postgresql://meshca_admin@127.0.0.1:$PG_PORT/meshca"
    export PG_PORT PG_URL PG_ADMIN_URL PG_DIR
}

pg_stop() {
    local pid i
    [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
    pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
    _as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >>"$T_LOG" 2>&1
    # pg_ctl returns once the pid file is gone; wait for the process too.
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null
}

# Kills the postmaster with SIGKILL (fault tests) and waits for it to go.
pg_kill9() {
    local pid
    pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
    kill -9 "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    # Orphaned backends die when they notice the postmaster is gone.
    pkill -9 -f -- "-k $PG_DIR" 2>/dev/null || true
}

# Starts the same cluster again on the same port.
pg_restart() {
    _as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
        -o "-p $PG_PORT $(_pg_opts)" \
        start >>"$T_LOG" 2>&1
}

psql_admin() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$PG_URL" "$@"
}

# sshd_start CA_PUB_FILE [KRL_FILE]: an sshd on a free loopback port that
# trusts only CA_PUB_FILE, checks KRL_FILE, and reads principals from
# $SSHD_DIR/principals/%u.  Logs in $SSHD_DIR/sshd.log.
sshd_start() {
    local ca=$1 krl=${2:-} try pid
    SSHD_DIR=$T_TMP/sshd
    mkdir -p "$SSHD_DIR/principals"
    ssh-keygen -q -t ed25519 -N '' -C meshca-test-host -f "$SSHD_DIR/host_ed25519" \
        >>"$T_LOG" 2>&1 || bail "ssh-keygen host key failed"
    # Debian's sshd insists on its privilege-separation directory.
    [ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd 2>/dev/null || true
    for try in 1 2 3; do
        SSHD_PORT=$(free_port)
        {
            echo "Port $SSHD_PORT"
            echo "ListenAddress 127.0.0.1"
            echo "HostKey $SSHD_DIR/host_ed25519"
            echo "PidFile $SSHD_DIR/sshd.pid"
            echo "AuthorizedKeysFile none"
            echo "PubkeyAuthentication yes"
            echo "PasswordAuthentication no"
            echo "KbdInteractiveAuthentication no"
            echo "UsePAM no"
            echo "StrictModes no"
            echo "PermitRootLogin prohibit-password"
            echo "TrustedUserCAKeys $ca"
            [ -n "$krl" ] && echo "RevokedKeys $krl"
            echo "AuthorizedPrincipalsFile $SSHD_DIR/principals/%u"
            echo "LogLevel VERBOSE"
            echo "MaxStartups 100:30:200"
        } >"$SSHD_DIR/sshd_config"
        "$SSHD_BIN" -D -e -f "$SSHD_DIR/sshd_config" >>"$SSHD_DIR/sshd.log" 2>&1 &
        pid=$!
        if wait_port "$SSHD_PORT" 10 && kill -0 "$pid" 2>/dev/null; then
            SSHD_PID=$pid
            at_exit "kill $pid; wait $pid"
            export SSHD_PORT SSHD_DIR SSHD_PID
            return 0
        fi
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    done
    cat "$SSHD_DIR/sshd.log" >>"$T_LOG"
    bail "sshd did not start"
}

sshd_principals() {
    local user=$1; shift
    printf '%s\n' "$@" >"$SSHD_DIR/principals/$user"
}

# ssh_as KEY CERT USER CMD...: one login attempt with exactly that identity.
ssh_as() {
    local key=$1 cert=$2 user=$3; shift 3
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
        -o IdentitiesOnly=yes -o IdentityAgent=none -o LogLevel=ERROR \
        -o ConnectTimeout=10 -i "$key" ${cert:+-o CertificateFile="$cert"} \
        -p "$SSHD_PORT" "$user@127.0.0.1" "$@"
}

# meshcad_start CONFIG: runs meshcad serve in the background; waits for
# /healthz.  The config's listen port must be $MESHCAD_PORT (pick it with
# free_port first) — or set MESHCAD_PORT before calling and use it in CONFIG.
# MESHCAD_URL may be preset (https://...); MESHCAD_CURL_OPTS adds curl options
# (client certificates) for the health probe.
meshcad_start() {
    local config=$1 i
    : "${MESHCAD_PORT:?pick MESHCAD_PORT with free_port and put it in the config}"
    "$MESHCAD_BIN" serve --config "$config" >>"$T_TMP/meshcad.log" 2>&1 &
    MESHCAD_PID=$!
    at_exit "kill $MESHCAD_PID; wait $MESHCAD_PID"
    MESHCAD_URL=${MESHCAD_URL:-http://127.0.0.1:$MESHCAD_PORT}
    for ((i = 0; i < 200; i++)); do
        if curl -fsS -k ${MESHCAD_CURL_OPTS:-} "$MESHCAD_URL/healthz" >/dev/null 2>&1; then
            export MESHCAD_PID MESHCAD_URL
            return 0
        fi
        kill -0 "$MESHCAD_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 30 "$T_TMP/meshcad.log" >>"$T_LOG"
    bail "meshcad did not start"
}

# idp_start: the test identity provider (tests/idp/server.js, oidc-provider)
# on a free port.  Sets IDP_PORT, IDP_URL (the issuer), IDP_DIR.
idp_start() {
    local try i
    IDP_DIR=$T_TMP/idp
    mkdir -p "$IDP_DIR"
    for try in 1 2 3; do
        IDP_PORT=$(free_port)
        IDP_URL="http://127.0.0.1:$IDP_PORT"
        node "$MESHCA_TOP/tests/idp/server.js" --port "$IDP_PORT" --state "$IDP_DIR" \
            >>"$IDP_DIR/idp.log" 2>&1 &
        IDP_PID=$!
        for ((i = 0; i < 100; i++)); do
            if curl -fsS "$IDP_URL/.well-known/openid-configuration" >/dev/null 2>&1; then
                at_exit "kill $IDP_PID; wait $IDP_PID"
                export IDP_PORT IDP_URL IDP_DIR IDP_PID
                return 0
            fi
            kill -0 "$IDP_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$IDP_PID" 2>/dev/null; wait "$IDP_PID" 2>/dev/null
    done
    cat "$IDP_DIR/idp.log" >>"$T_LOG"
    bail "identity provider did not start"
}

# user_code FILE: the device-flow user code a meshca command wrote to FILE
# (its stderr), waiting up to 20 s for it; empty if none came.
user_code() {
    local i code=""
    for i in $(seq 200); do
        code=$(sed -n 's/^and enter the code: //p' "$1")
        [ -n "$code" ] && break
        sleep 0.1
    done
    echo "$code"
}

# device_person FILE ACCOUNT: ACCOUNT completes at the identity provider the
# device flow a meshca command shows on FILE (tests/idp/person.js).
device_person() {
    local code
    code=$(user_code "$1")
    [ -n "$code" ] && node "$MESHCA_TOP/tests/idp/person.js" device "$IDP_URL" "$2" "$code" >>"$T_LOG" 2>&1
}
