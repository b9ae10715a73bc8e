#!/usr/bin/env bash
# Seeds for fuzz_token (see its header for the two modes):
#  "0" + a token: well-formed RS256 tokens minted by loadgen with a throwaway
#      key, and near-misses (no signature, alg none, five parts);
#  "1" + HEADER "\n" PAYLOAD: claim sets the target signs itself, generated
#      here with jq from a valid one by changing one thing at a time.
set -eu
. "$(dirname "$0")/seedlib.sh"
"$BUILD/tests/bench/loadgen" mint --issuer https://idp --audience meshca --subjects 4 --dir "$work" >/dev/null
i=0
while read -r t; do i=$((i + 1)); printf '0%s' "$t" >"$out/token$i"; done <"$work/tokens.txt"
first=$(head -n 1 "$work/tokens.txt")
printf '0%s.' "$(printf '%s' "$first" | cut -d. -f1-2)" >"$out/nosig"
printf '0%s.' "$(printf '{"alg":"none"}' | base64 -w0 | tr '+/' '-_' | tr -d =)" >"$out/none"
printf '0a.b.c.d.e' >"$out/jwe"

now=1700000000
base=$(jq -cn --argjson now "$now" '{iss: "https://idp", aud: "meshca", sub: "alice",
  email: "alice@example.com", email_verified: true, groups: ["payments-oncall"],
  iat: $now, exp: ($now + 300), jti: "j-1"}')
hdr='{"alg":"ES256","kid":"k1"}'
n=0
seed() { n=$((n + 1)); printf '1%s\n%s' "$1" "$2" >"$out/claims$n"; }
seed "$hdr" "$base"
seed '{"alg":"ES256"}' "$base"
seed '{"alg":"ES256","kid":"k1","typ":"JWT"}' "$base"
seed '{"alg":"ES256","kid":"k1","crit":["b64"],"b64":false}' "$base"
seed '{"alg":"ES256","kid":"k1","jku":"https://evil/jwks"}' "$base"
seed '{"alg":"RS256","kid":"k1"}' "$base"
seed '{"alg":"HS256","kid":"h1"}' "$base"
for patch in '{"aud":["meshca","web"],"azp":"web"}' '{"aud":["meshca","x"]}' \
    '{"nbf":1700000100}' '{"auth_time":1699990000}' '{"exp":"1700000300"}' \
    '{"groups":"admins"}' '{"groups":[]}' '{"sub":""}' '{"jti":null}' \
    '{"email_verified":"true"}' '{"exp":1e300}' '{"iat":1700009999}' \
    '{"nonce":"abc","name":"Alice"}'; do
    seed "$hdr" "$(jq -c --argjson p "$patch" '. * $p | with_entries(select(.value != null))' <<<"$base")"
done
seed "$hdr" '[1,2,3]'
seed "$hdr" 'not json'
