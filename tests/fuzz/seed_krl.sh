#!/usr/bin/env bash
# Seeds for fuzz_krl: KRLs written by mkkrl (libmeshca) and by ssh-keygen -k.
set -eu
. "$(dirname "$0")/seedlib.sh"
cd "$work"
ssh-keygen -q -t ed25519 -N '' -f ca
ssh-keygen -q -t ed25519 -N '' -f u
"$BUILD/tests/tools/mkkrl" build --out "$out/meshca.krl" --ca ca.pub --serial 5 \
    --range 100-200 --key-id mallory --key-sha256 u.pub --key u.pub >/dev/null
printf 'serial: 6\nserial: 10-12\nid: alice\n' >spec
ssh-keygen -q -k -f "$out/openssh.krl" -s ca.pub spec
ssh-keygen -q -k -f "$out/keys.krl" u.pub
