#!/usr/bin/env bash
# Seeds for fuzz_token: well-formed tokens (signed by a throwaway key) and
# near-misses, made with loadgen.
set -eu
out=$1
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BUILD/tests/bench/loadgen" mint --issuer https://idp --audience meshca --subjects 4 --dir "$work" >/dev/null
i=0
while read -r t; do i=$((i + 1)); printf '%s' "$t" >"$out/token$i"; done <"$work/tokens.txt"
printf '%s' "$(head -n 1 "$work/tokens.txt" | cut -d. -f1-2)." >"$out/nosig"
printf 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lkcCJ9.' >"$out/none"
printf 'a.b.c.d.e' >"$out/jwe"
