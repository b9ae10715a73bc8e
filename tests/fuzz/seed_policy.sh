#!/usr/bin/env bash
# Seeds for fuzz_policy: the example policy and the check fixtures.
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
cp "$top/contrib/policy.example.json" "$out/example.json"
for f in "$top"/tests/data/check/*.json; do cp "$f" "$out/check-$(basename "$f")"; done
