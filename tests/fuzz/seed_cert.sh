#!/usr/bin/env bash
# Seeds for fuzz_cert: user certificates made by ssh-keygen -s and by
# libmeshca (tests/tools/mkcert, when built), each as its line and as the
# decoded wire blob.
set -eu
. "$(dirname "$0")/seedlib.sh"
emit() { # emit NAME CERTFILE
    cp "$2" "$out/line-$1"
    cut -d' ' -f2 "$2" | base64 -d >"$out/blob-$1"
}
ssh-keygen -q -t ed25519 -N '' -f "$work/ca" >/dev/null
ssh-keygen -q -t ecdsa -N '' -f "$work/user" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/user2" >/dev/null
ssh-keygen -q -s "$work/ca" -I seed -n a,b -z 5 -O force-command=/bin/true \
    -O source-address=10.0.0.0/8 "$work/user.pub" >/dev/null 2>&1
emit keygen "$work/user-cert.pub"
mkcert=$BUILD/tests/tools/mkcert
if [ -x "$mkcert" ]; then
    openssl genpkey -algorithm ed25519 -out "$work/ca.pem" 2>/dev/null
    chmod 600 "$work/ca.pem"
    "$mkcert" sign --ca "$work/ca.pem" --key "$work/user2.pub" --out "$work/m1" \
        --principal payments/api --ext permit-pty --ext x@example.com
    emit mkcert-min "$work/m1"
    "$mkcert" sign --ca "$work/ca.pem" --key "$work/user.pub" --out "$work/m2" \
        --principal a --principal b --force-command "echo hi" \
        --source-address ::1,127.0.0.1/32 --valid-before forever
    emit mkcert-opts "$work/m2"
fi
