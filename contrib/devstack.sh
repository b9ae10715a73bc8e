#!/usr/bin/env bash
# make run: the whole local stack on this machine, in the foreground.
#   ./var/pg        PostgreSQL cluster (kept between runs; started and stopped here)
#   ./var/idp       the test identity provider's state (keys, accounts)
#   ./var/ca_ed25519.pem   the CA key (made once, mode 0600)
#   ./var/policy.json      the policy (copied once from contrib/policy.example.json; edit it,
#                          then `kill -HUP <meshcad pid>` to reload)
#   ./var/meshcad.json     the service config (rewritten each run)
# Ports: MESHCAD_PORT (default 8443), IDP_PORT (default 9443), PG_PORT (default 55432).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:=$top/build}"
var=$top/var
MESHCAD_PORT=${MESHCAD_PORT:-8443}
IDP_PORT=${IDP_PORT:-9443}
PG_PORT=${PG_PORT:-55432}
PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir -p "$var"
chmod 711 "$var"

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$MESHCAD_PORT" "$IDP_PORT"; do
    if port_busy "$p"; then
        echo "make run: port $p is in use (set MESHCAD_PORT / IDP_PORT to others)" >&2
        exit 1
    fi
done

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -f "$var/pg/data/postmaster.pid" ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$var/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# PostgreSQL
if [ ! -d "$var/pg/data" ]; then
    mkdir -p "$var/pg"
    [ "$(id -u)" = 0 ] && chown postgres: "$var/pg"
    as_pg "$PG_BINDIR/initdb" -D "$var/pg/data" -U meshca_admin -A trust -E UTF8 \
        --no-instructions >"$var/pg/initdb.log" 2>&1
fi
if [ ! -f "$var/pg/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$var/pg/data" -l "$var/pg/log" -w \
        -o "-p $PG_PORT -k $var/pg -c listen_addresses=127.0.0.1" start >/dev/null
fi
psql -X -q "postgresql://meshca_admin@127.0.0.1:$PG_PORT/postgres" -tAc \
    "SELECT 1 FROM pg_database WHERE datname='meshca'" | grep -q 1 ||
    psql -X -q "postgresql://meshca_admin@127.0.0.1:$PG_PORT/postgres" -c "CREATE DATABASE meshca"

# Identity provider
mkdir -p "$var/idp"
node "$top/tests/idp/server.js" --port "$IDP_PORT" --state "$var/idp" >"$var/idp/idp.log" 2>&1 &
pids+=($!)
for i in $(seq 100); do
    curl -fsS "http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration" >/dev/null 2>&1 && break
    sleep 0.1
done

# CA key and policy (made once)
[ -f "$var/ca_ed25519.pem" ] || "$BUILD/meshcad" keygen --type ed25519 --out "$var/ca_ed25519.pem" >/dev/null
[ -f "$var/log.pem" ] || "$BUILD/meshcad" keygen --type ed25519 --out "$var/log.pem" >/dev/null
[ -f "$var/ledger.key" ] || (umask 077 && head -c 32 /dev/urandom >"$var/ledger.key")
[ -f "$var/policy.json" ] || cp "$top/contrib/policy.example.json" "$var/policy.json"

cat >"$var/meshcad.json" <<JSON
{
  "listen": "127.0.0.1:$MESHCAD_PORT",
  "database": "postgresql://meshca_admin@127.0.0.1:$PG_PORT/meshca",
  "ca_keys": [ { "path": "ca_ed25519.pem", "state": "active" } ],
  "issuers": [ { "issuer": "http://127.0.0.1:$IDP_PORT", "audiences": ["meshca"] } ],
  "login": { "issuer": "http://127.0.0.1:$IDP_PORT", "client_id": "meshca",
             "scopes": ["openid", "email", "groups"] },
  "policy": "policy.json",
  "ledger": { "origin": "meshca.localhost/log", "log_key": "log.pem", "mac_key": "ledger.key" }
}
JSON

"$BUILD/meshcad" check --config "$var/meshcad.json"
"$BUILD/meshcad" migrate --config "$var/meshcad.json"

cat <<MSG

meshcad listens on http://127.0.0.1:$MESHCAD_PORT  (identity provider: http://127.0.0.1:$IDP_PORT,
PostgreSQL: 127.0.0.1:$PG_PORT, state under ./var).  Try, in another shell:

  curl http://127.0.0.1:$MESHCAD_PORT/healthz
  export MESHCA_SERVER=http://127.0.0.1:$MESHCAD_PORT
  $BUILD/meshca login            # test accounts: alice, bob, carol (any password)
  $BUILD/meshca status
  psql postgresql://meshca_admin@127.0.0.1:$PG_PORT/meshca -c 'SELECT serial, subject, principals FROM certificates'

Edit var/policy.json and send SIGHUP to reload it.  Ctrl-C stops everything.
MSG
"$BUILD/meshcad" serve --config "$var/meshcad.json" &
pids+=($!)
wait "${pids[-1]}"
