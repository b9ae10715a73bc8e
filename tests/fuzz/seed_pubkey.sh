#!/usr/bin/env bash
# Seeds for fuzz_pubkey: public keys of every type ssh-keygen makes, each as
# its authorized_keys line and as the decoded wire blob, and the degenerate
# keys ca/key.c must refuse (small-order and non-canonical Ed25519 points,
# absurd RSA exponents and moduli, sk application strings that are not
# printable), so the fuzzer starts next to every check.
set -eu
. "$(dirname "$0")/seedlib.sh"
n=0
for t in "ed25519" "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521" "rsa -b 2048"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    ssh-keygen -q -t $t -N '' -C "seed-$n" -f "$work/k$n" >/dev/null
    cp "$work/k$n.pub" "$out/line-$n"
    cut -d' ' -f2 "$work/k$n.pub" | base64 -d >"$out/blob-$n"
done

# Hex to bytes, and an SSH string (uint32 length, bytes) of hex.
unhex() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
sshstr() { unhex "$(printf '%08x' $((${#1} / 2)))$1"; }
ashex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# ed25519 TYPE PKHEX [APPHEX] > blob
ed() { sshstr "$(ashex "$1")"; sshstr "$2"; if [ $# -gt 2 ]; then sshstr "$3"; fi; }

zero=$(printf '00%.0s' $(seq 32))
ident=01$(printf '00%.0s' $(seq 31))
p=ed$(printf 'ff%.0s' $(seq 30))7f                # y = p: non-canonical zero
y8=26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05
pm1=ec$(printf 'ff%.0s' $(seq 30))7f              # y = p - 1: order 2
offcurve=$(printf '42%.0s' $(seq 32))
for v in zero ident p y8 pm1 offcurve; do
    ed ssh-ed25519 "${!v}" >"$out/ed25519-$v"
    ed sk-ssh-ed25519@openssh.com "${!v}" "$(ashex ssh:)" >"$out/sk-ed25519-$v"
done
base64 -w0 <"$out/ed25519-ident" | sed 's/^/ssh-ed25519 /' >"$out/line-ed25519-ident"

# sk-ecdsa with a real P-256 point and application strings that are not
# printable ASCII (a newline, DEL, nothing).
q=$(ssh-keygen -q -t ecdsa -b 256 -N '' -f "$work/ec" >/dev/null &&
    cut -d' ' -f2 "$work/ec.pub" | base64 -d | tail -c 65 | od -An -v -tx1 | tr -d ' \n')
for a in "ssh:a
b" "ssh:$(printf '\177')" ""; do
    n=$((n + 1))
    { sshstr "$(ashex sk-ecdsa-sha2-nistp256@openssh.com)"; sshstr "$(ashex nistp256)";
      sshstr "$q"; sshstr "$(ashex "$a")"; } >"$out/sk-ecdsa-app-$n"
done

# RSA: a real modulus with e = 3 and e = 2^32 + 1, and a fake 16384-bit one.
ssh-keygen -q -t rsa -b 2048 -N '' -f "$work/rsa" >/dev/null
nhex=$(cut -d' ' -f2 "$work/rsa.pub" | base64 -d | tail -c 257 | od -An -v -tx1 | tr -d ' \n')
for e in 03 0100000001 00ffffffff 010001; do
    { sshstr "$(ashex ssh-rsa)"; sshstr "$e"; sshstr "$nhex"; } >"$out/rsa-e-$e"
done
{ sshstr "$(ashex ssh-rsa)"; sshstr 010001; sshstr "00c1$(printf 'a5%.0s' $(seq 2046))a5"; } >"$out/rsa-16384"
