#!/usr/bin/env bash
# make bench: meshcad's throughput and latency on this machine, with the
# ceilings it is measured against, all in one run.  Writes
# tests/bench/results/bench-<host>.json and .svg and prints a summary.
#   BENCH_SECONDS   seconds per measurement (default 10)
#   BENCH_RATES     offered rates for the latency runs (default "500 1000 2000 5000")
#   BENCH_CONNS     connections at saturation (default 64)
set -u
. "$(dirname "$0")/../lib/harness.sh"
SECS=${BENCH_SECONDS:-10}
RATES=${BENCH_RATES:-500 1000 2000 5000}
CONNS=${BENCH_CONNS:-64}
out_dir=$MESHCA_TOP/tests/bench/results
mkdir -p "$out_dir"
LOADGEN=$BUILD/tests/bench/loadgen
CEILING=$BUILD/tests/bench/ceiling
cores=$(nproc)

echo "bench: machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# (a) one core's RS256 verify + Ed25519 sign, times the cores
ceil=$("$CEILING" --seconds 3)
pair=$(echo "$ceil" | jq .rs256_verify_ed25519_sign_per_core)
ceil_a=$((pair * cores))
echo "bench: ceiling (a) verify+sign: $pair/s per core x $cores = $ceil_a/s"

# (c) one certificate per ssh-keygen -s invocation
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/skca"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/user"
n=0; t0=$(date +%s%N)
while [ $(( $(date +%s%N) - t0 )) -lt 3000000000 ]; do
    ssh-keygen -q -s "$T_TMP/skca" -I bench -n bench/api -V +5m -z $((n + 1)) "$T_TMP/user.pub" 2>/dev/null
    n=$((n + 1))
done
ceil_c=$(awk -v n="$n" -v ns="$(( $(date +%s%N) - t0 ))" 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
echo "bench: baseline (c) ssh-keygen -s per certificate: $ceil_c/s"

# Micro-benchmarks: token verification and certificate signing vs raw OpenSSL.
micro_id=$("$BUILD/tests/bench/bench_identity" 2 2>/dev/null | jq -s -c .)
echo "bench: identity: $micro_id"
micro_cert=$("$BUILD/tests/bench/bench_cert" 2 2>/dev/null | tail -n 20)
echo "bench: certificates: $micro_cert" | head -5

pg_start
"$LOADGEN" mint --issuer https://bench-idp.invalid --audience meshca --subjects 5000 --dir "$T_TMP"
"$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/ca.pem" >/dev/null
"$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/log.pem" >/dev/null
(umask 077 && head -c 32 /dev/urandom >"$T_TMP/ledger.key")
cat >"$T_TMP/policy.json" <<JSON
{ "roles": [ { "name": "bench", "match": { "groups": ["bench"] },
               "principals": ["bench/api"], "default_ttl": "5m", "max_ttl": "15m" } ] }
JSON
MESHCAD_PORT=$(free_port)
cat >"$T_TMP/meshcad.json" <<JSON
{ "listen": "127.0.0.1:$MESHCAD_PORT", "database": "$PG_URL",
  "ca_keys": [ { "path": "ca.pem", "state": "active" } ],
  "issuers": [ { "issuer": "https://bench-idp.invalid", "audiences": ["meshca"],
                 "jwks_file": "jwks.json", "max_token_age": "2h",
                 "max_certificates_per_token": 1000000 } ],
  "policy": "policy.json",
  "ledger": { "origin": "bench.invalid/log", "log_key": "log.pem", "mac_key": "ledger.key" },
  "limits": { "rate_per_minute": 0, "max_connections_per_ip": 4096, "db_pool_size": 4 } }
JSON
"$MESHCAD_BIN" migrate --config "$T_TMP/meshcad.json" >>"$T_LOG" 2>&1 || bail "migrate failed"
meshcad_start "$T_TMP/meshcad.json"
URL=http://127.0.0.1:$MESHCAD_PORT

# (b) PostgreSQL's rate for the same ledger row, pipelined
ceil_b=$("$BUILD/tests/tools/ledger-tool" ceiling --database "$PG_URL" --seconds 3 2>>"$T_LOG" | jq .rows_per_second)
echo "bench: ceiling (b) PostgreSQL ledger rows pipelined: ${ceil_b:-unmeasured}/s"

peak_rss() { awk '/VmHWM/ {print $2}' "/proc/$MESHCAD_PID/status"; }

# warm up, then saturation
"$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" --duration 2 --keys 2000 --serials "$T_TMP/serials.warmup" >/dev/null
sat=$("$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" \
      --duration "$SECS" --keys 100000 --serials "$T_TMP/serials.sat" --label saturation)
echo "bench: saturation: $sat"
runs="[$sat"
for r in $RATES; do
    res=$("$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" \
          --duration "$SECS" --rate "$r" --keys 50000 --serials "$T_TMP/serials.$r" --label "rate-$r")
    echo "bench: offered $r/s: $res"
    runs="$runs,$res"
done
runs="$runs]"
rss_kb=$(peak_rss)

# The ledger holds exactly the certificates that were returned.
cat "$T_TMP"/serials.* | sort -u >"$T_TMP/returned"
psql_admin -c "SELECT serial FROM certificates" | sort -u >"$T_TMP/ledger"
returned=$(wc -l <"$T_TMP/returned")
ledger_extra=$(comm -13 "$T_TMP/returned" "$T_TMP/ledger" | wc -l)
ledger_missing=$(comm -23 "$T_TMP/returned" "$T_TMP/ledger" | wc -l)
echo "bench: certificates returned $returned; missing from ledger $ledger_missing; in the ledger but never returned $ledger_extra"

host=$(hostname -s 2>/dev/null || echo host)
json=$out_dir/bench-$host.json
jq -n --argjson runs "$runs" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
   --argjson cores "$cores" --argjson ceil_a "$ceil_a" --argjson pair "$pair" \
   --arg ceil_b "${ceil_b:-null}" --arg ceil_c "$ceil_c" --argjson rss "$rss_kb" \
   --argjson returned "$returned" --argjson missing "$ledger_missing" --argjson extra "$ledger_extra" \
   --arg date "$(date -u +%FT%TZ)" --argjson micro_id "${micro_id:-null}" \
  '{ date: $date, machine: { cpu: $cpu, cores: $cores },
    ceilings: { a_verify_plus_sign_per_s: $ceil_a, a_per_core: $pair,
                b_postgres_ledger_rows_per_s: ($ceil_b | tonumber? // null),
                c_ssh_keygen_per_s: ($ceil_c | tonumber) },
    saturation_certs_per_s: $runs[0].created_per_second,
    ratio_to_ceiling_a: ($runs[0].created_per_second / $ceil_a),
    ratio_to_ceiling_b: (if ($ceil_b | tonumber? // null) then $runs[0].created_per_second / ($ceil_b | tonumber) else null end),
    ratio_to_ceiling_c: ($runs[0].created_per_second / ($ceil_c | tonumber)),
    meshcad_peak_rss_mib: ($rss / 1024),
    ledger_check: { returned: $returned, missing_from_ledger: $missing, in_ledger_not_returned: $extra },
    identity_verify: $micro_id,
    runs: $runs }' >"$json"
bash "$MESHCA_TOP/tests/bench/plot.sh" "$json" >"${json%.json}.svg"
echo "bench: wrote $json and ${json%.json}.svg"
jq '{saturation_certs_per_s, ratio_to_ceiling_a, ratio_to_ceiling_b, ratio_to_ceiling_c, meshcad_peak_rss_mib, ledger_check}' "$json"
ok "bench completed"
