#!/usr/bin/env bash
# /metrics as an operator's Prometheus sees it: `promtool check metrics`
# (Debian's prometheus package) accepts it, before any traffic, under traffic
# and with the database down; meshca_build_info, the standard process_*
# metrics, the KRL/revocation and ledger metrics are there; every labelled
# counter the code knows starts at 0; no sample is negative (no -1
# sentinels); and every metric the alerting rules use exists.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
RULES=$MESHCA_TOP/contrib/prometheus/meshca-rules.yml

stack_init
# meshca_anomalies_flagged (#18) recomputed every second here, so the
# database-down case below sees a failed computation.
: >"$T_TMP/host-tokens"
stack_config_extra '{"logins": {"host_tokens": "host-tokens", "anomaly_refresh": "1s"}}'
stack_start
scrape() { curl -fsS "$MESHCAD_URL/metrics" >"$T_TMP/metrics.txt" 2>>"$T_LOG"; }
# value NAME{LABELS}: the sample's value ("" when absent)
value() { awk -v k="$1" '$1 == k { print $2 }' "$T_TMP/metrics.txt"; }
promtool_ok() { promtool check metrics <"$T_TMP/metrics.txt"; }
no_negative() {
    awk '!/^#/ && $2 ~ /^-/ { print "negative sample: " $0; bad = 1 } END { exit bad }' \
        "$T_TMP/metrics.txt"
}

wait_for 10 metric_at_least "$MESHCAD_URL" meshca_krl_loaded 1 || bail "the KRL was never built"
# meshca_anomalies_flagged{rule} (#18) has samples once its first background
# computation is done: wait for it, so the scrapes below hold it.
test_gauge_ten() { [ "$(curl -fsS "$MESHCAD_URL/metrics" | grep -c '^meshca_anomalies_flagged{rule="')" = 10 ]; }
check "meshca_anomalies_flagged is computed" wait_for 20 test_gauge_ten
scrape || bail "GET /metrics failed"
check "promtool check metrics accepts /metrics before any traffic" promtool_ok
for r in first_access new_source unusual_hour denial_spike rare_role break_glass host_spread \
    unknown_serial unknown_ca use_after_revocation; do
    check_eq "meshca_anomalies_flagged{rule=\"$r\"} is 0 with no logins" \
        "$(value "meshca_anomalies_flagged{rule=\"$r\"}")" 0
done
check "no sample is negative" no_negative

version=$("$MESHCAD_BIN" --version | awk '{ print $2 }')
check_eq "meshca_build_info carries meshcad --version" "$(value "meshca_build_info{version=\"$version\"}")" 1
for m in process_cpu_seconds_total process_resident_memory_bytes process_virtual_memory_bytes \
    process_open_fds process_max_fds process_start_time_seconds; do
    check_match "$m is exported with a number" "$(value $m)" '^[0-9]+(\.[0-9]+)?$'
done
check "process_resident_memory_bytes is over 1 MB" test "$(value process_resident_memory_bytes)" -gt 1000000
check "process_open_fds is at least 3" test "$(value process_open_fds)" -ge 3
start=$(value process_start_time_seconds); now=$(date +%s)
check "process_start_time_seconds is within the last 10 minutes" \
    awk -v s="$start" -v n="$now" 'BEGIN { exit !(s > n - 600 && s <= n + 1) }'

for k in 'meshca_certificates_issued_total{role="bench"}' 'meshca_denials_total{reason="policy"}' \
    'meshca_denials_total{reason="invalid_token"}' 'meshca_policy_reloads_total{result="refused"}' \
    'meshca_policy_reloads_total{result="ok"}' 'meshca_http_responses_total{code="503"}' \
    'meshca_http_responses_total{code="202"}' 'meshca_http_responses_total{code="410"}' \
    'meshca_webhook_deliveries_total{result="delivered"}' 'meshca_webhook_deliveries_total{result="failed"}' \
    'meshca_webhook_deliveries_total{result="lost"}' 'meshca_webhook_pending' 'meshca_webhook_recovered_total'; do
    check_eq "$k starts at 0" "$(value "$k")" 0
done
# Hosts' logins (#18): every result and every rule counted as logins arrive.
for r in accepted revoked wrong_principal expired refused; do
    check_eq "meshca_logins_recorded_total{result=\"$r\"} starts at 0" \
        "$(value "meshca_logins_recorded_total{result=\"$r\"}")" 0
done
for r in unknown_serial unknown_ca use_after_revocation first_access new_source break_glass; do
    check_eq "meshca_login_anomalies_total{rule=\"$r\"} starts at 0" \
        "$(value "meshca_login_anomalies_total{rule=\"$r\"}")" 0
done
check_eq "meshca_database_up is 1" "$(value meshca_database_up)" 1
check_eq "meshca_krl_version starts at 0 (no revocations)" "$(value meshca_krl_version)" 0
check_eq "meshca_krl_entries starts at 0" "$(value meshca_krl_entries)" 0
check_match "meshca_krl_age_seconds is a small number" "$(value meshca_krl_age_seconds)" '^[0-9]$|^[12][0-9]$|^30$'
check_eq "meshca_krl_rebuild_failures_total is 0" "$(value meshca_krl_rebuild_failures_total)" 0
check_eq "one active CA key" "$(value 'meshca_ca_keys{state="active"}')" 1
check_eq "no next CA key" "$(value 'meshca_ca_keys{state="next"}')" 0
check_match "the ledger's metrics are there" "$(value meshca_ledger_commits_total)" '^[0-9]+$'
check_eq "no key-age sample claims -1" "$(grep -c 'meshca_issuer_keys_age_seconds.* -1$' "$T_TMP/metrics.txt")" 0

# Every metric the alerting rules use is one meshcad exports.
for m in $(grep -o 'meshca_[a-z_]*' "$RULES" | sort -u); do
    check "the rules' metric $m is exported" grep -q "^$m[{ ]" "$T_TMP/metrics.txt"
done

# Traffic: one certificate, one policy denial, one revocation.
issue "$(token 1)" "{\"public_key\":\"$(user_key k1)\",\"principals\":[\"payments/api\"]}"
check_eq "a certificate is issued" "$HTTP_STATUS" 201
serial=$(jq -r .serial <<<"$HTTP_BODY")
issue "$(token 2)" "{\"public_key\":\"$(user_key k2)\",\"principals\":[\"payments/db\"]}"
check_eq "a principal the policy does not grant is refused" "$HTTP_STATUS" 403
admin=$(mint_token "$(claims_for carol '["meshca-admins"]')")
issue "$admin" "{\"serial\":\"$serial\",\"reason\":\"metrics test\"}" /v1/revocations
check_eq "the certificate is revoked" "$HTTP_STATUS" 201
wait_for 10 metric_at_least "$MESHCAD_URL" meshca_krl_version 1
scrape || bail "GET /metrics failed"
check "promtool check metrics accepts /metrics under traffic" promtool_ok
check_eq "the issuance is counted under its role" "$(value 'meshca_certificates_issued_total{role="bench"}')" 1
check_eq "the denial is counted under policy" "$(value 'meshca_denials_total{reason="policy"}')" 1
check "meshca_krl_version follows the revocation" test "$(value meshca_krl_version)" -ge 1
check_eq "meshca_krl_entries counts it" "$(value meshca_krl_entries)" 1
check "meshca_krl_rebuilds_total counts rebuilds" test "$(value meshca_krl_rebuilds_total)" -ge 2

# A refused policy reload is counted (the MeshcaPolicyReloadRefused alert).
cp "$T_TMP/policy.json" "$T_TMP/policy.good"
echo '{ "roles": [] ' >"$T_TMP/policy.json"
kill -HUP "$MESHCAD_PID"
check "a refused reload counts under result=refused" \
    wait_for 10 metric_at_least "$MESHCAD_URL" 'meshca_policy_reloads_total{result="refused"}' 1

# The database goes away: meshca_database_up drops, the KRL keeps its age.
pg_stop
check "meshca_database_up drops to 0 without the database" \
    wait_for 20 bash -c "curl -fsS '$MESHCAD_URL/metrics' | grep -qx 'meshca_database_up 0'"
scrape || bail "GET /metrics failed"
check "promtool check metrics accepts /metrics with the database down" promtool_ok
check "no sample is negative with the database down" no_negative
check_match "the last KRL's age is still exported" "$(value meshca_krl_age_seconds)" '^[0-9]+$'
check "the anomaly gauge's failed refresh is logged" \
    wait_for 20 grep -q 'anomaly metrics: the ledger cannot be read' "$T_TMP/meshcad.log"
# (a wait that can only make the check below easier to pass under load)
sleep 2
check_eq "and logged once, however many refreshes fail" \
    "$(grep -c 'anomaly metrics: the ledger cannot be read' "$T_TMP/meshcad.log")" 1
scrape || bail "GET /metrics failed"
check_eq "meshca_anomalies_flagged keeps its last values (ten rules at 0)" \
    "$(awk '$1 ~ /^meshca_anomalies_flagged[{]/ { n++; s += $2 } END { print n + 0, s + 0 }' "$T_TMP/metrics.txt")" "10 0"
