#!/usr/bin/env bash
# Seeds for fuzz_request: valid and near-valid request bodies.
set -eu
out=$1
mkdir -p "$out"
key=$(ssh-keygen -q -t ed25519 -N '' -f "$out/.k" && cat "$out/.k.pub"; rm -f "$out/.k" "$out/.k.pub")
printf '{"public_key":"%s"}' "$key" >"$out/minimal.json"
printf '{"public_key":"%s","principals":["payments/api","payments/worker"],"ttl":"10m","reason":"INC-1","role":"oncall"}' "$key" >"$out/full.json"
printf '{"principals":[]}' >"$out/explain.json"
printf '{"public_key":"k","ttl":"1h30m","principals":["a:b"]}' >"$out/ttl.json"
