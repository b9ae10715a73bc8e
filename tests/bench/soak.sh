#!/usr/bin/env bash
# make soak: SOAK_SECONDS (default 600) at SOAK_RATE (default 1000) requests/s
# against meshcad; passes when no reply was 5xx and meshcad's RSS grew less
# than 5% between the end of a 30 s warm-up and the end.  Not run by CI.
set -u
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
SECS=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-1000}
stack_init
stack_config_extra '{"issuers": [{"issuer": "https://idp.test.invalid", "audiences": ["meshca"], "jwks_file": "jwks.json", "max_token_age": "2h", "max_certificates_per_token": 1000000}], "limits": {"rate_per_minute": 0}}'
stack_start
rss() { awk '/VmRSS/ {print $2}' "/proc/$MESHCAD_PID/status"; }
"$BUILD/tests/bench/loadgen" run --url "$MESHCAD_URL" --tokens "$T_TMP/tokens.txt" \
    --conns 32 --duration 30 --rate "$RATE" --keys 20000 >/dev/null
before=$(rss)
res=$("$BUILD/tests/bench/loadgen" run --url "$MESHCAD_URL" --tokens "$T_TMP/tokens.txt" \
    --conns 32 --duration "$SECS" --rate "$RATE" --keys 100000 --label soak)
after=$(rss)
echo "soak: $res"
echo "soak: RSS $before KiB after warm-up, $after KiB at the end"
fivexx=$(echo "$res" | jq '[.status | to_entries[] | select(.key | startswith("5")) | .value] | add // 0')
check_eq "no 5xx in $SECS s at $RATE/s" "$fivexx" 0
check "RSS grew less than 5% ($before -> $after KiB)" test $(( after * 100 )) -lt $(( before * 105 ))
