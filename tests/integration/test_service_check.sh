#!/usr/bin/env bash
# meshcad check judges a config the way meshcad serve does: for each input
# below, check (no database, no socket) and serve (with a real database, so
# it gets as far as the input) agree - check refuses what serve cannot start
# with, and a config check accepts starts.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
cp "$T_TMP/meshcad.json" "$T_TMP/base.json"

# variant NAME JQ: $T_TMP/NAME.json, the stack's config changed by JQ.
variant() { jq "$2" "$T_TMP/base.json" >"$T_TMP/$1.json"; }
# checked NAME: sets rc and out (stderr) of meshcad check.
checked() {
    out=$("$MESHCAD_BIN" check --config "$T_TMP/$1.json" 2>&1 >/dev/null); rc=$?
}
# served NAME: serve with it until it fails or answers /healthz; sets
# serve_rc (0: it served) and serve_log.
served() {
    local pid i
    MESHCAD_PORT=$(free_port)
    jq --arg p "$MESHCAD_PORT" '.listen |= sub(":[0-9]+$"; ":" + $p)' "$T_TMP/$1.json" >"$T_TMP/$1.port.json"
    "$MESHCAD_BIN" serve --config "$T_TMP/$1.port.json" >"$T_TMP/$1.log" 2>&1 &
    pid=$!
    serve_rc=1
    for ((i = 0; i < 200; i++)); do
        if curl -fsS -k "https://127.0.0.1:$MESHCAD_PORT/healthz" >/dev/null 2>&1 ||
            curl -fsS "http://127.0.0.1:$MESHCAD_PORT/healthz" >/dev/null 2>&1; then
            serve_rc=0
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # A serve stuck before its signal loop (in open() on a FIFO, as the
    # previous identity.c was) ignores SIGTERM: end it after 5 s.
    kill "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    serve_log=$(cat "$T_TMP/$1.log")
}

# The stack's own config: check passes it, serve starts with it.
variant good '.'
checked good
check_eq "the stack's config passes check" "$rc" 0
served good
check_eq "and serve starts with it" "$serve_rc" 0

# An issuer's jwks_file: serve reads it at start and does not start without
# its keys; check did not read it at all (exit 0).
variant jwks_missing '.issuers[0].jwks_file = "no-such-jwks.json"'
echo '{"keys": []}' >"$T_TMP/empty-jwks.json"
variant jwks_empty '.issuers[0].jwks_file = "empty-jwks.json"'
mkfifo "$T_TMP/fifo-jwks.json"
variant jwks_fifo '.issuers[0].jwks_file = "fifo-jwks.json"'
for v in jwks_missing jwks_empty jwks_fifo; do
    checked "$v"
    check_eq "$v: check refuses it" "$rc" 1
    check_match "$v: check names issuers[0].jwks_file" "$out" \
        "issuers\[0\]\.jwks_file: $T_TMP/[a-z-]*jwks.json: "
    served "$v"
    check_eq "$v: serve does not start either" "$serve_rc" 1
    check "$v: serve says why" grep -q "cannot use the issuer's jwks_file" <<<"$serve_log"
done

# TLS: serve hands tls.cert and tls.key to GnuTLS (libmicrohttpd), which
# refuses a key that is not the certificate's; check read each file alone
# with OpenSSL and passed the pair (exit 0), and serve then did not listen.
# serve also refused a certificate file of 1 MiB or more that check took.
selfsigned() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1
    chmod 600 "$T_TMP/$1.key"
}
selfsigned tls-a
selfsigned tls-b
{ cat "$T_TMP/tls-a.pem"; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } >"$T_TMP/tls-big.pem"
variant tls_good '.tls = {cert: "tls-a.pem", key: "tls-a.key"}'
variant tls_mismatch '.tls = {cert: "tls-a.pem", key: "tls-b.key"}'
variant tls_big '.tls = {cert: "tls-big.pem", key: "tls-a.key"}'
checked tls_good
check_eq "tls_good: check passes a certificate and its key" "$rc" 0
served tls_good
check_eq "tls_good: serve listens with them" "$serve_rc" 0
checked tls_mismatch
check_eq "tls_mismatch: check refuses a key that is not the certificate's" "$rc" 1
check_match "tls_mismatch: check names both files" "$out" \
    "tls.cert [^ ]*tls-a.pem, tls.key [^ ]*tls-b.key: .*"
served tls_mismatch
check_eq "tls_mismatch: serve does not listen either" "$serve_rc" 1
check "tls_mismatch: serve gives check's reason" grep -qF \
    "$(sed "s|^$T_TMP/tls_mismatch.json: ||" <<<"$out")" "$T_TMP/tls_mismatch.log"
check "tls_mismatch: serve names both files" grep -q \
    "tls.cert [^ ]*tls-a.pem, tls.key [^ ]*tls-b.key: " "$T_TMP/tls_mismatch.log"
checked tls_big
check_eq "tls_big: check refuses a certificate file over 1 MiB" "$rc" 1
check_match "tls_big: and says so" "$out" "tls.cert: [^ ]*tls-big.pem: larger than 1 MiB"
served tls_big
check_eq "tls_big: serve does not listen either" "$serve_rc" 1

# listen: serve binds an address and resolves no name; config_load took any
# HOST, so check passed a host name (with TLS, where any address is allowed)
# and serve, once it got to listening, refused it.
variant listen_name '.tls = {cert: "tls-a.pem", key: "tls-a.key"} | .listen = "ca.example.com:8443"'
checked listen_name
check_eq "listen_name: check refuses a host name" "$rc" 1
check_match "listen_name: and says so" "$out" \
    'listen: "ca.example.com" is not an IP address or localhost'
served listen_name
check_eq "listen_name: serve does not start either" "$serve_rc" 1
check "listen_name: serve says so" grep -q 'ca\.example\.com.\{0,2\} is not an IP address' "$T_TMP/listen_name.log"
variant listen_localhost '.listen = "LocalHost:8443"'
checked listen_localhost
check_eq "listen_localhost: check passes localhost in any case" "$rc" 0
served listen_localhost
check_eq "listen_localhost: and serve starts with it" "$serve_rc" 0

# mesh.trust_bundle: serve loads it as its SVID store before anything else;
# a FIFO there held serve in open(), deaf to SIGTERM, while check refused it.
mkfifo "$T_TMP/fifo-bundle.pem"
variant mesh_fifo '.tls = {cert: "tls-a.pem", key: "tls-a.key"} | .mesh = {trust_domain: "example.org", trust_bundle: "fifo-bundle.pem"}'
checked mesh_fifo
check_eq "mesh_fifo: check refuses a FIFO as mesh.trust_bundle" "$rc" 1
check_eq "mesh_fifo: and says so once" "$(grep -c 'mesh.trust_bundle: [^ ]*fifo-bundle.pem: not a regular file' <<<"$out")" 1
served mesh_fifo
check_eq "mesh_fifo: serve does not start either" "$serve_rc" 1
check "mesh_fifo: serve says why instead of waiting" grep -q \
    'mesh.trust_bundle [^ ]*fifo-bundle.pem: not a regular file' "$T_TMP/mesh_fifo.log"
variant mesh_good '.tls = {cert: "tls-a.pem", key: "tls-a.key"} | .mesh = {trust_domain: "example.org", trust_bundle: "tls-b.pem"}'
checked mesh_good
check_eq "mesh_good: check passes a bundle" "$rc" 0
served mesh_good
check_eq "mesh_good: serve starts with it" "$serve_rc" 0

# SIGHUP: the policy is judged against the running ttl_ceiling, check
# against the file's. Raising both the ceiling and a role's max_ttl passes
# check, and the reload refuses the policy: the log now says which setting
# waits for a restart (before, only 'exceeds the ceiling 1h').
MESHCAD_PORT=$(free_port)
jq --arg l "127.0.0.1:$MESHCAD_PORT" '.listen = $l' "$T_TMP/base.json" >"$T_TMP/hup.json"
meshcad_start "$T_TMP/hup.json"
jq '.ttl_ceiling = "2h"' "$T_TMP/hup.json" >"$T_TMP/hup.new" && mv "$T_TMP/hup.new" "$T_TMP/hup.json"
jq '.roles[0].max_ttl = "2h"' "$T_TMP/policy.json" >"$T_TMP/policy.new" && mv "$T_TMP/policy.new" "$T_TMP/policy.json"
checked hup
check_eq "hup: check passes the raised ceiling and max_ttl" "$rc" 0
refused() { grep -q "policy reload refused" "$T_TMP/meshcad.log"; }
kill -HUP "$MESHCAD_PID"
check "hup: the reload refuses the policy (the running ceiling is 1h)" wait_for 20 refused
warned() { grep -q '"setting":"ttl_ceiling"' "$T_TMP/meshcad.log"; }
check "hup: and names ttl_ceiling as waiting for the next start" wait_for 20 warned
