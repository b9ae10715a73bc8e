#!/usr/bin/env bash
# TLS with client certificates: libmicrohttpd only requests one, so meshcad
# verifies it itself.  No client certificate, or one from another CA, is
# refused; a good one is served.  Plain HTTP off loopback is refused by config.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

mk_ca() {  # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1
}
mk_cert() {  # name ca san
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.csr" >>"$T_LOG" 2>&1
    printf 'subjectAltName=%s\n' "$3" >"$T_TMP/$1.ext"
    openssl x509 -req -in "$T_TMP/$1.csr" -CA "$T_TMP/$2.pem" -CAkey "$T_TMP/$2.key" \
        -CAcreateserial -days 1 -extfile "$T_TMP/$1.ext" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1
}
mk_ca meshca-ca
mk_ca rogue-ca
mk_cert server meshca-ca IP:127.0.0.1
mk_cert client meshca-ca DNS:client.mesh
mk_cert rogue rogue-ca DNS:client.mesh
chmod 600 "$T_TMP"/*.key

stack_init
stack_config_extra "{\"tls\": {\"cert\": \"server.pem\", \"key\": \"server.key\", \"client_ca\": \"meshca-ca.pem\"}}"
MESHCAD_URL=https://127.0.0.1:$MESHCAD_PORT
MESHCAD_CURL_OPTS="--cacert $T_TMP/meshca-ca.pem --cert $T_TMP/client.pem --key $T_TMP/client.key"
stack_start

c() { curl -sS -o /dev/null -w '%{http_code}' --cacert "$T_TMP/meshca-ca.pem" "$@" "$MESHCAD_URL/v1/ca-keys" 2>>"$T_LOG"; }
check_eq "a client certificate from the mesh CA is served" \
    "$(c --cert "$T_TMP/client.pem" --key "$T_TMP/client.key")" 200
code=$(c)
check "no client certificate is refused (got $code)" test "$code" != 200
code=$(c --cert "$T_TMP/rogue.pem" --key "$T_TMP/rogue.key")
check "a client certificate from another CA is refused (got $code)" test "$code" != 200
check_fails "plain HTTP on the TLS port gets no answer" \
    curl -fsS --max-time 5 "http://127.0.0.1:$MESHCAD_PORT/healthz"

# Plain HTTP is allowed only on loopback.
sed 's/"listen": *"127.0.0.1:/"listen": "0.0.0.0:/' "$T_TMP/meshcad.json" | jq 'del(.tls)' >"$T_TMP/open.json"
out=$("$MESHCAD_BIN" check --config "$T_TMP/open.json" 2>&1)
check_match "plain HTTP on 0.0.0.0 is refused with a reason" "$out" 'plain HTTP is allowed only on loopback'

# The TLS key is a secret: serve reads it as meshcad check judges it.
chmod 644 "$T_TMP/server.key"
out=$(timeout 30 "$MESHCAD_BIN" serve --config "$T_TMP/meshcad.json" 2>&1)
rc=$?
check "meshcad serve refuses a TLS key group or others can read (exit $rc)" \
    test "$rc" -ne 0 -a "$rc" -ne 124
check_match "and names the key and the fix" "$out" \
    'tls.key: [^ ]*server.key: group or others can read it \(mode 0644\): chmod 600'
chmod 600 "$T_TMP/server.key"
