#!/usr/bin/env bash
# Seeds for fuzz_svid: SPIFFE IDs and patterns (good and each kind of bad),
# X-Forwarded-Client-Cert values as Envoy writes them, and an X.509-SVID
# (DER) made with OpenSSL.
set -eu
. "$(dirname "$0")/seedlib.sh"
n=0
seed() { n=$((n + 1)); printf '%s' "$1" >"$out/s-$n"; }
seed 'spiffe://mesh.test/ns/payments/sa/api'
seed 'spiffe://mesh.test/ns/*/sa/*'
seed 'spiffe://mesh.test/ns/a*/sa'
seed 'spiffe://mesh.test/ns//x'
seed 'spiffe://mesh.test/./x/..'
seed 'spiffe://Mesh.test:8443/x?q#f'
seed 'By=spiffe://mesh.test/ns/meshca/sa/meshcad;Hash=abcd;Subject="O=SPIRE,CN=api";URI=spiffe://mesh.test/ns/payments/sa/api'
seed 'URI=spiffe://mesh.test/a,URI=spiffe://mesh.test/b'
seed 'URI="spiffe://mesh.test/a\"b";DNS=x'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /O=SPIRE \
    -addext 'subjectAltName=URI:spiffe://mesh.test/ns/payments/sa/api' \
    -keyout "$work/k.pem" -out "$work/c.pem" >/dev/null 2>&1
openssl x509 -in "$work/c.pem" -outform DER -out "$out/svid.der"
