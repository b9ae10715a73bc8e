#!/usr/bin/env bash
# Seeds for fuzz_pubkey: public keys of every type ssh-keygen makes, each as
# its authorized_keys line and as the decoded wire blob.
set -eu
out=$1
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/meshca-seed.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
for t in "ed25519" "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521" "rsa -b 2048"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    ssh-keygen -q -t $t -N '' -C "seed-$n" -f "$work/k$n" >/dev/null
    cp "$work/k$n.pub" "$out/line-$n"
    cut -d' ' -f2 "$work/k$n.pub" | base64 -d >"$out/blob-$n"
done
