#!/usr/bin/env bash
# make bench, issue #18: GET /v1/report for 30 days over 500 hosts, 2,000
# people and 1,000,000 logins, generated with SQL (generate_series) in a
# throwaway PostgreSQL; the time of each of BENCH_USAGE_RUNS reports
# (default 3) is printed and written to tests/bench/results/usage-<host>.json
# (the target: under 5 s on this machine), with the report's access map
# rendered and screenshot by headless Chromium next to it (usage-<host>.png).
#   BENCH_USAGE_LOGINS  logins (default 1000000)
set -u
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
LOGINS=${BENCH_USAGE_LOGINS:-1000000}
RUNS=${BENCH_USAGE_RUNS:-3}
out_dir=$MESHCA_TOP/tests/bench/results
mkdir -p "$out_dir"

stack_init
stack_config_extra '{"logins": {"host_tokens": "host-tokens"}}'
: >"$T_TMP/host-tokens"
t0=$(date +%s%N)
# 2,000 people in 50 roles (40 each, 5 email domains); 20 certificates each
# over 30 days naming their role's svcNN/api and svcNN/worker; 500 hosts
# (svcNN-api-K, svcNN-worker-K); the logins spread over those hosts and the
# 30 days, from three addresses per person, a few under serials meshca never
# issued; 100 revocations.
psql_admin >>"$T_LOG" 2>&1 <<SQL || bail "generating the data set failed"
SET synchronous_commit = off;
INSERT INTO certificates (serial, key_id, subject, issuer, email, role, principals, key_type,
  key_fingerprint, valid_after, valid_before, critical_options, extensions, ca_fingerprint,
  client_address, request_id, policy_version, token_id, certificate, created_at)
SELECT 1000000 + n, format('user-%s@%s/role-%s/%s', p, d, r, n), 'user-' || p,
  'https://idp.bench.invalid', format('user-%s@%s', p, d), 'role-' || r,
  ARRAY[format('svc%s/api', r), format('svc%s/worker', r)], 'ssh-ed25519', 'SHA256:k' || n,
  t, t + interval '15 minutes', '{}', '{permit-pty}', 'SHA256:benchca', '10.0.0.1',
  'req' || n, 'v1', 'tok' || n, 'cert', t
FROM (SELECT n, n % 2000 AS p, (n % 2000) / 40 AS r,
        (ARRAY['example.com','corp.example.com','ops.example.org','contractors.example.net','partner.example'])[1 + (n % 2000) % 5] AS d,
        now() - interval '30 days' + (n * interval '30 days' / 40000) AS t
      FROM generate_series(0, 39999) n) g;
INSERT INTO logins (host, line_id, at, account, source_address, source_port, result, serial,
  key_id, key_fingerprint, ca_fingerprint, krl_version, krl_generated_at)
SELECT format('svc%s-%s-%s', c.r, CASE WHEN n % 3 = 0 THEN 'worker' ELSE 'api' END, n % 5),
  'l' || n, c.t + ((n % 600) * interval '1 second'), 'app',
  '10.1.' || (g.k % 2000) / 10 || '.' || ((g.k % 2000) % 10) * 10 + n % 3,
  1024 + n % 60000, CASE WHEN n % 97 = 0 THEN 'refused' ELSE 'accepted' END,
  CASE WHEN n % 50000 = 7 THEN (9000000000000 + n)::text ELSE (1000000 + g.k)::text END,
  'key', 'SHA256:k', 'SHA256:benchca', 1, now() - interval '1 hour'
FROM (SELECT n, n % 40000 AS k FROM generate_series(0, $LOGINS - 1) n) g
JOIN LATERAL (SELECT ((g.k % 2000) / 40) AS r,
  now() - interval '30 days' + (g.k * interval '30 days' / 40000) AS t) c ON true;
-- Each revoked 5 minutes after it was issued: the logins after that are
-- uses after revocation (every host's KRL is an hour old).
INSERT INTO revocations (kind, value, reason, revoked_by, request_id, created_at)
SELECT 'serial', (1000000 + n * 397)::text, 'bench', 'bench', 'rev' || n,
  now() - interval '30 days' + ((n * 397) * interval '30 days' / 40000) + interval '5 minutes'
FROM generate_series(0, 99) n;
INSERT INTO host_reports (host, last_report_at, krl_version, krl_generated_at, address)
SELECT format('svc%s-%s-%s', r, k, i), now() - (r * interval '1 minute'), 1, now() - interval '1 hour', '10.0.0.1'
FROM generate_series(0, 49) r, unnest(ARRAY['api','worker']) k, generate_series(0, 4) i;
-- The integrator would quarantine these MAC-less rows one by one; the
-- benchmark is the report, so the log starts after them.
UPDATE log_state SET xid = pg_current_xact_id(), seq = (SELECT last_value FROM ledger_seq),
  legacy_done = true;
ANALYZE;
SQL
gen_s=$(awk -v ns="$(( $(date +%s%N) - t0 ))" 'BEGIN { printf "%.1f", ns / 1e9 }')
counts=$(psql_admin -c "SELECT json_build_object('logins', (SELECT count(*) FROM logins),
  'hosts', (SELECT count(DISTINCT host) FROM logins), 'people', (SELECT count(DISTINCT subject) FROM certificates),
  'roles', (SELECT count(DISTINCT role) FROM certificates), 'certificates', (SELECT count(*) FROM certificates))")
echo "bench usage: generated $counts in ${gen_s}s"
stack_start
admin=$(mint_token "$(claims_for bench-admin '["meshca-admins"]')")
times=()
for ((i = 1; i <= RUNS; i++)); do
    t=$(curl -sS -o "$T_TMP/report.json" -w '%{time_total}' -H "Authorization: Bearer $admin" \
        "$MESHCAD_URL/v1/report?since=30d") || bail "GET /v1/report failed"
    jq -e .usage.access_map "$T_TMP/report.json" >/dev/null || bail "the report has no usage: $(head -c 300 "$T_TMP/report.json")"
    times+=("$t")
    echo "bench usage: GET /v1/report?since=30d #$i: ${t}s ($(stat -c %s "$T_TMP/report.json") bytes)"
done
summary=$(jq -c '{used: .usage.certificates.used, issued: .usage.certificates.issued,
  use_after_revocation: (.usage.use_after_revocation | length), unknown: (.usage.unknown | length),
  anomalies: .usage.anomalies.rules}' "$T_TMP/report.json")
echo "bench usage: $summary"
host=$(hostname -s)
"$MESHCA_BIN" report --input "$T_TMP/report.json" --output "$T_TMP/report.html" >>"$T_LOG" 2>&1
{ echo '<!DOCTYPE html><html><body style="margin:0;background:#fff">'
  sed -n '/aria-label="Access map"/,/<\/svg>/p' "$T_TMP/report.html"; echo '</body></html>'; } >"$T_TMP/map.html"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$(mktemp -d "$T_TMP/chromium.XXXXXX")" \
        --screenshot="$out_dir/usage-$host.png" --window-size=1200,720 "file://$T_TMP/map.html" >>"$T_LOG" 2>&1
fi
printf '%s\n' "${times[@]}" | jq -R -s --argjson counts "$counts" --argjson summary "$summary" \
    --arg gen "$gen_s" --arg cores "$(nproc)" \
    '{what: "GET /v1/report?since=30d with the usage reconciliation", data: $counts,
      generate_seconds: ($gen | tonumber), cores: ($cores | tonumber), target_seconds: 5,
      seconds: (split("\n") | map(select(length > 0) | tonumber)), report: $summary}' \
    >"$out_dir/usage-$host.json"
echo "bench usage: wrote $out_dir/usage-$host.json and usage-$host.png"
ok "usage bench completed"
