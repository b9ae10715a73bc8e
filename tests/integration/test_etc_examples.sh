#!/usr/bin/env bash
# The production examples the meshcad package installs in /etc/meshca
# (contrib/etc/) are complete: once the key and TLS files their README says
# to create exist, `meshcad check` accepts them as they are.
. "$(dirname "$0")/../lib/harness.sh"
SRC=$MESHCA_TOP/contrib/etc
ETC=$T_TMP/etc

mkdir -p "$ETC"
cp "$SRC/meshcad.json.example" "$ETC/meshcad.json"
cp "$SRC/policy.json.example" "$ETC/policy.json"
check_fails "meshcad check refuses the example before its keys exist" \
    "$MESHCAD_BIN" check --config "$ETC/meshcad.json"
# The README's steps (as the current user instead of meshcad).
(umask 077 && mkdir -p "$ETC/keys" "$ETC/tls")
"$MESHCAD_BIN" keygen --type ed25519 --out "$ETC/keys/ca.pem" >>"$T_LOG" 2>&1 || bail "keygen ca"
"$MESHCAD_BIN" keygen --type ed25519 --out "$ETC/keys/log.pem" >>"$T_LOG" 2>&1 || bail "keygen log"
(umask 077 && head -c 32 /dev/urandom >"$ETC/keys/ledger.key")
(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=meshca.example.com -keyout "$ETC/tls/server.key" -out "$ETC/tls/server.pem") \
    >>"$T_LOG" 2>&1 || bail "openssl req"
check "meshcad check accepts the example config and policy" "$MESHCAD_BIN" check --config "$ETC/meshcad.json"
check "meshcad check accepts the example policy alone" "$MESHCAD_BIN" check --policy "$ETC/policy.json"
check "the README's commands name the files the example uses" \
    grep -q 'keys/ledger.key' "$SRC/README"
