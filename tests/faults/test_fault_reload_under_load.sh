#!/usr/bin/env bash
# Fault: SIGHUP with a broken policy, then a good one, under load: no failed
# request.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
stack_load_start
loadgen_run "$MESHCAD_URL" --conns 16 --duration 5 \
    --keys 5000 --json "$T_TMP/load.json" &
lg=$!
cp "$T_TMP/policy.json" "$T_TMP/policy.good"
logged_at_least() { [ "$(grep -c "$1" "$T_TMP/meshcad.log")" -ge "$2" ]; }
for i in 1 2 3 4 5; do
    echo '{ "roles": [ { "name": "x", "match": {}, "principals": ["a b"] } ], "typo": 1 }' >"$T_TMP/policy.json"
    kill -HUP "$MESHCAD_PID"
    wait_for 10 logged_at_least 'policy reload refused' "$i"
    cp "$T_TMP/policy.good" "$T_TMP/policy.json"
    kill -HUP "$MESHCAD_PID"
    wait_for 10 logged_at_least '"policy reloaded"' "$i"
done
wait "$lg"
cat "$T_TMP/load.json" >>"$T_LOG"
check_eq "every request under reloads got 201" \
    "$(jq '[.status | to_entries[] | select(.key != "201") | .value] | add // 0' "$T_TMP/load.json")" 0
check "requests were served ($(jq .completed "$T_TMP/load.json"))" test "$(jq .completed "$T_TMP/load.json")" -gt 100
check "broken policies were refused and logged" grep -q 'policy reload refused' "$T_TMP/meshcad.log"
check "meshcad survived" kill -0 "$MESHCAD_PID"
