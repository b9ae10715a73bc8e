#!/usr/bin/env bash
# contrib/prometheus/meshca-rules.yml: `promtool check rules` accepts it,
# every alert the issue lists is there, each has a unit-test group in
# meshca-rules.test.yml, and `promtool test rules` passes them all.
. "$(dirname "$0")/../lib/harness.sh"
DIR=$MESHCA_TOP/contrib/prometheus

check "promtool check rules accepts meshca-rules.yml" promtool check rules "$DIR/meshca-rules.yml"
alerts=$(yq -r '.groups[].rules[].alert' "$DIR/meshca-rules.yml" | sort)
tested=$(yq -r '.tests[].alert_rule_test[].alertname' "$DIR/meshca-rules.test.yml" | sort -u)
for a in MeshcaDatabaseDown MeshcaIdentityKeysStale MeshcaKRLNotRebuilt MeshcaIssuance5xxRatio \
    MeshcaDenialSpike MeshcaPolicyReloadRefused MeshcaCARotationPending; do
    check "the rules define $a" grep -qx "$a" <<<"$alerts"
done
for a in $alerts; do
    check "$a has a unit test" grep -qx "$a" <<<"$tested"
    # a test that only ever expects silence could not fail: each must fire once
    fires=$(yq -r --arg a "$a" '[.tests[].alert_rule_test[] | select(.alertname == $a and ((.exp_alerts // []) | length) > 0)] | length' \
        "$DIR/meshca-rules.test.yml")
    check "$a's test expects it to fire at least once" test "$fires" -ge 1
done
check "promtool test rules passes every test" bash -c "cd '$DIR' && promtool test rules meshca-rules.test.yml"
