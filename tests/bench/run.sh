#!/usr/bin/env bash
# make bench: meshcad's throughput and latency on this machine, with the
# ceilings it is measured against, all in one run.  Writes
# tests/bench/results/bench-<host>.json and .svg and prints a summary.
#   BENCH_SECONDS   seconds per measurement (default 10)
#   BENCH_RATES     offered rates for the latency runs (default "500 1000 2000 5000 10000")
#   BENCH_CONNS     connections at saturation (default 64)
#   BENCH_INTEGRATE_RECORDS  records the integrator catches up on (default 200000)
#   BENCH_FSYNC_OFF set to 0 to skip the (labelled, never headline) fsync-off run
#   BENCH_HSM       set to 0 to skip the run with the CA key in SoftHSM (PKCS#11)
#   BENCH_HSM_SECONDS  seconds of that run (default BENCH_SECONDS)
#   BENCH_NAME      names the result files (default bench-<host>)
#   BENCH_PG_OPTS   PostgreSQL's sizing (default: shared_buffers 1GB,
#                   min_wal_size 2GB, max_wal_size 8GB; durability is not
#                   negotiable here)
#
# PostgreSQL runs durable (fsync, synchronous_commit, full_page_writes on; the
# JSON records the values read back with SHOW) and with track_commit_timestamp
# on, for the log's commit-to-checkpoint lag.
set -u
. "$(dirname "$0")/../lib/harness.sh"
export PG_FSYNC=on PG_SYNC_COMMIT=on PG_FULL_PAGE_WRITES=on PG_TRACK_COMMIT_TS=on
# Sized as a server would be, not initdb's defaults: shared_buffers a small
# share of the machine's memory, and WAL kept for reuse (min_wal_size) so
# that a checkpoint recycles segments instead of each new 16 MB segment
# being created and zero-filled on the commit path (BENCH_PG_OPTS to change).
export PG_EXTRA_OPTS=${BENCH_PG_OPTS:--c shared_buffers=1GB -c min_wal_size=2GB -c max_wal_size=8GB}
INTEGRATE_RECORDS=${BENCH_INTEGRATE_RECORDS:-200000}
FSYNC_OFF=${BENCH_FSYNC_OFF:-1}
LEDGER_TOOL=$BUILD/tests/tools/ledger-tool
HZ=$(getconf CLK_TCK)
SECS=${BENCH_SECONDS:-10}
RATES=${BENCH_RATES:-500 1000 2000 5000 10000}
CONNS=${BENCH_CONNS:-64}
HSM=${BENCH_HSM:-1}
HSM_SECS=${BENCH_HSM_SECONDS:-$SECS}
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
pg_settings=$(for g in fsync synchronous_commit full_page_writes track_commit_timestamp wal_sync_method \
    shared_buffers min_wal_size max_wal_size checkpoint_timeout server_version; do
    printf '%s\t%s\n' "$g" "$(psql_admin -c "SHOW $g")"; done |
    jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add')
pg_settings=$(echo "$pg_settings" | jq -c --arg fs "$(df -T "$PG_DIR" | awk 'NR == 2 { print $2 }')" '. + {data_filesystem: $fs}')
echo "bench: PostgreSQL: $pg_settings"
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
if [ "$HSM" = 1 ]; then
    # Before meshcad starts: it inherits SOFTHSM2_CONF.
    . "$MESHCA_TOP/tests/lib/hsm.sh"
    hsm_init
    hsm_keygen ed25519 bench-ca || bail "meshcad keygen --pkcs11 failed"
fi
meshcad_start "$T_TMP/meshcad.json"
URL=http://127.0.0.1:$MESHCAD_PORT

# (b) the ledger write path on its own (meshcad's ledger.c, same pool size,
# same durability), into a scratch database
ceil_b_json=$("$LEDGER_TOOL" ceiling --database "$PG_URL" --mac-key "$T_TMP/ledger.key" \
    --seconds 3 --pool 4 --clients "$CONNS" 2>>"$T_LOG")
ceil_b=$(echo "$ceil_b_json" | jq .rows_per_second)
echo "bench: ceiling (b) ledger write path alone (durable): ${ceil_b:-unmeasured} records/s"

peak_rss() { awk '/VmHWM/ {print $2}' "/proc/$MESHCAD_PID/status"; }
# wal_steady: a checkpoint, so the next runs write into recycled WAL
# segments as a server that has been running does.  A fresh cluster has
# none: every 16 MB of WAL (about 2 s at 2,000 certificates/s) a new
# segment is created and zero-filled, and commits stall 50-90 ms behind it.
wal_steady() { psql_admin -c CHECKPOINT >/dev/null || bail "CHECKPOINT failed"; }
wal_steady

# warm up, then saturation
"$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" --duration 2 --keys 2000 --serials "$T_TMP/serials.warmup" >/dev/null
# CPU ticks (utime + stime; a process's reaped children in cutime + cstime).
ticks_of() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
    local pm
    pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
    # the postmaster (with the backends it reaped) and its live children
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" \
        '$1 == pm || $4 == pm { t += $14 + $15 + $16 + $17 } END { print t + 0 }'
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# cpu_sample PID...: "ns meshcad pg loadgen busy"
cpu_sample() { echo "$(date +%s%N) $(ticks_of "$MESHCAD_PID") $(pg_ticks) $(ticks_of "$1") $(busy_ticks)"; }

# Saturation; CPU counters sampled over the measured window (loadgen says
# when its clock starts, after it made its keys).
rm -f "$T_TMP/started"
"$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" \
    --duration "$SECS" --keys 100000 --serials "$T_TMP/serials.sat" --label saturation \
    --started "$T_TMP/started" >"$T_TMP/sat.json" &
lg=$!
while [ ! -e "$T_TMP/started" ] && kill -0 "$lg" 2>/dev/null; do sleep 0.01; done
c0=$(cpu_sample "$lg"); x0=$(awk '/^ctxt/ { print $2 }' /proc/stat)
sleep "$(awk -v s="$SECS" 'BEGIN { print s - 0.3 }')"
c1=$(cpu_sample "$lg"); x1=$(awk '/^ctxt/ { print $2 }' /proc/stat)
wait "$lg"
sat=$(cat "$T_TMP/sat.json")
echo "bench: saturation: $sat"
cpu=$(echo "$c0 $c1" | awk -v hz="$HZ" -v cores="$cores" '{
    s = ($6 - $1) / 1e9
    printf "{\"window_s\":%.2f,\"meshcad_cores\":%.2f,\"postgres_cores\":%.2f,", s, ($7 - $2) / hz / s, ($8 - $3) / hz / s
    printf "\"loadgen_cores\":%.2f,\"machine_busy_cores\":%.2f,", ($9 - $4) / hz / s, ($10 - $5) / hz / s
    printf "\"other_cores\":%.2f,\"cores\":%d}", (($10 - $5) - ($7 - $2) - ($8 - $3) - ($9 - $4)) / hz / s, cores }')
# Context switches on the whole machine (all three processes' hops:
# connection thread, worker, ledger writer, PostgreSQL) per certificate.
cpu=$(echo "$cpu" | jq -c --argjson sat "$sat" --argjson x "$((x1 - x0))" \
    '. + {context_switches_per_certificate: (($x / (.window_s * $sat.created_per_second)) * 10 | round / 10)}')
echo "bench: CPU at saturation (cores busy): $cpu"
wal_steady
runs="[$sat"
for r in $RATES; do
    res=$("$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" \
          --duration "$SECS" --rate "$r" --keys 50000 --serials "$T_TMP/serials.$r" --label "rate-$r")
    echo "bench: offered $r/s: $res"
    runs="$runs,$res"
done
runs="$runs]"
rss_kb=$(peak_rss)

# The same saturation with the CA key in a PKCS#11 token (SoftHSM 2, an
# Ed25519 key made by `meshcad keygen --pkcs11`), switched in and out by a
# SIGHUP ca_keys reload; next to the file key's run above.
hsm_sat=null
if [ "$HSM" = 1 ]; then
    cp "$T_TMP/meshcad.json" "$T_TMP/meshcad.file.json"
    hsm_reload() {  # CONFIG: install it and SIGHUP; wait until reloaded
        local n i
        n=$(grep -c '"ca keys reloaded"' "$T_TMP/meshcad.log")
        cp "$1" "$T_TMP/meshcad.json"
        kill -HUP "$MESHCAD_PID"
        for ((i = 0; i < 200; i++)); do
            [ "$(grep -c '"ca keys reloaded"' "$T_TMP/meshcad.log")" -gt "$n" ] && return 0
            sleep 0.05
        done
        bail "meshcad did not reload its CA keys"
    }
    jq --argjson e "$(hsm_entry bench-ca active)" '.ca_keys = [$e]' "$T_TMP/meshcad.file.json" \
        >"$T_TMP/meshcad.hsm.json"
    hsm_reload "$T_TMP/meshcad.hsm.json"
    hsm_run=$("$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" \
        --duration "$HSM_SECS" --keys 50000 --serials "$T_TMP/serials.hsm" --label saturation-softhsm)
    hsm_reload "$T_TMP/meshcad.file.json"
    hsm_sat=$(jq -n -c --argjson r "$hsm_run" --argjson f "$sat" --arg secs "$HSM_SECS" \
        '{ca_key: "Ed25519 in SoftHSM 2 (PKCS#11, softhsm2 2.6.1)", seconds: ($secs | tonumber),
          certs_per_s: $r.created_per_second, file_key_certs_per_s: $f.created_per_second,
          ratio_to_file_key: ($r.created_per_second / $f.created_per_second),
          latency_ms: $r.latency_ms, status: $r.status}')
    echo "bench: saturation with the CA key in SoftHSM: $hsm_sat"
fi

ledger_records() {
    psql_admin -c "SELECT (SELECT count(*) FROM certificates) + (SELECT count(*) FROM denials) +
        (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM revocations)"
}
log_size() { psql_admin -c "SELECT coalesce(max(size), 0) FROM log_checkpoints"; }
# wait_log N SECONDS: until a checkpoint covers N records
wait_log() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ "$(log_size)" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# (iii) Lag from a record's commit to the commit of the first checkpoint
# covering it, for the records of the saturation run (commit times from
# track_commit_timestamp).  Also to that checkpoint's created_at.
wait_log "$(ledger_records)" 60 || bail "the integrator did not catch up after the load"
lag=$(psql_admin -c "CREATE TEMP TABLE sat_serials (serial bigint)" \
    -c "\\copy sat_serials FROM '$T_TMP/serials.sat'" \
    -c "SELECT json_build_object('records', count(*),
          'p50_ms', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
          'p99_ms', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
          'max_ms', round(max(lag)::numeric, 1),
          'p50_ms_to_created_at', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_c)::numeric, 1),
          'p99_ms_to_created_at', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_c)::numeric, 1),
          'max_ms_to_created_at', round(max(lag_c)::numeric, 1),
          'checkpoints', count(DISTINCT size))
        FROM (SELECT k.size,
                1000 * extract(epoch FROM pg_xact_commit_timestamp(k.xmin) - pg_xact_commit_timestamp(xid(c.xid))) AS lag,
                1000 * extract(epoch FROM k.created_at - pg_xact_commit_timestamp(xid(c.xid))) AS lag_c
              FROM certificates c JOIN sat_serials USING (serial)
              JOIN log_leaves l ON l.seq = c.seq
              CROSS JOIN LATERAL (SELECT k.size, k.xmin, k.created_at FROM log_checkpoints k
                                  WHERE k.size > l.idx ORDER BY k.size LIMIT 1) k) q" | tail -n 1)
echo "bench: log lag, commit -> covering checkpoint, saturation records: $lag"

# (ii) The integrator's sustained rate: meshcad stopped, $INTEGRATE_RECORDS
# sealed records written through the ledger's write path, then meshcad
# started again and timed until a checkpoint covers them all.
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
fill=$("$LEDGER_TOOL" fill --database "$PG_URL" --mac-key "$T_TMP/ledger.key" \
    --records "$INTEGRATE_RECORDS" --pool 4 --clients "$CONNS" --first-serial 1 2>>"$T_LOG") ||
    bail "ledger-tool fill failed: $fill"
echo "bench: wrote $INTEGRATE_RECORDS records for the integrator (meshcad stopped): $fill"
target=$(ledger_records)
size0=$(log_size)
t0=$(date +%s%N)
meshcad_start "$T_TMP/meshcad.json"
c0=$(cpu_sample "$MESHCAD_PID")
wait_log "$target" 600 || bail "the integrator did not reach $target records"
t1=$(date +%s%N)
c1=$(cpu_sample "$MESHCAD_PID")
integ=$(psql_admin -c "SELECT json_build_object('records', $target - $size0,
      'wall_s', round(($t1 - $t0) / 1e9, 3),
      'records_per_s_wall', round(($target - $size0) / (($t1 - $t0) / 1e9)),
      'rounds', count(*),
      'records_per_s_between_checkpoints', round((max(size) - min(size)) / nullif(extract(epoch FROM max(created_at) - min(created_at)), 0)))
    FROM log_checkpoints WHERE size > $size0" | tail -n 1)
integ=$(echo "$integ" | jq -c --argjson c "$(echo "$c0 $c1" | awk -v hz="$HZ" '{ s = ($6 - $1) / 1e9;
    printf "{\"meshcad_cores\":%.2f,\"postgres_cores\":%.2f}", ($7 - $2) / hz / s, ($8 - $3) / hz / s }')" '. + {cpu: $c}')
echo "bench: integrator catching up on $((target - size0)) records: $integ"

# Not durable, never the headline: the same saturation with fsync off.
fsync_off=null
if [ "$FSYNC_OFF" = 1 ]; then
    # The server's command line sets fsync, so it restarts with it off.
    kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
    _as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >>"$T_LOG" 2>&1
    PG_FSYNC=off pg_restart || bail "PostgreSQL did not restart with fsync off"
    meshcad_start "$T_TMP/meshcad.json"
    off_b=$("$LEDGER_TOOL" ceiling --database "$PG_URL" --mac-key "$T_TMP/ledger.key" \
        --seconds 3 --pool 4 --clients "$CONNS" 2>>"$T_LOG" | jq .rows_per_second)
    off_sat=$("$LOADGEN" run --url "$URL" --tokens "$T_TMP/tokens.txt" --conns "$CONNS" \
        --duration "$SECS" --keys 100000 --serials "$T_TMP/serials.fsyncoff" --label saturation-fsync-off)
    fsync_off=$(jq -n -c --argjson r "$off_sat" --argjson b "${off_b:-null}" --arg fs "$(psql_admin -c 'SHOW fsync')" \
        '{note: "fsync=off: NOT durable, for comparison only", fsync: $fs,
          saturation_certs_per_s: $r.created_per_second, ceiling_b_records_per_s: $b,
          latency_ms: $r.latency_ms, status: $r.status}')
    echo "bench: NOT DURABLE (fsync=off), for comparison: $fsync_off"
fi

# The ledger holds exactly the certificates that were returned (beside
# ledger-tool's own records), and the log holds every record.
wait_log "$(ledger_records)" 60 || bail "the integrator did not catch up at the end"
log_check=$(psql_admin -c "SELECT json_build_object('records', $(ledger_records), 'log_size', max(size),
    'quarantined', (SELECT count(*) FROM log_quarantine)) FROM log_checkpoints" | tail -n 1)
echo "bench: log: $log_check"
cat "$T_TMP"/serials.* | sort -u >"$T_TMP/returned"
psql_admin -c "SELECT serial FROM certificates WHERE request_id NOT LIKE 'ledger-tool-%'" | sort -u >"$T_TMP/ledger"
returned=$(wc -l <"$T_TMP/returned")
ledger_extra=$(comm -13 "$T_TMP/returned" "$T_TMP/ledger" | wc -l)
ledger_missing=$(comm -23 "$T_TMP/returned" "$T_TMP/ledger" | wc -l)
echo "bench: certificates returned $returned; missing from ledger $ledger_missing; in the ledger but never returned $ledger_extra"

host=$(hostname -s 2>/dev/null || echo host)
json=$out_dir/${BENCH_NAME:-bench-$host}.json
jq -n --argjson runs "$runs" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
   --argjson cores "$cores" --argjson ceil_a "$ceil_a" --argjson pair "$pair" \
   --arg ceil_b "${ceil_b:-null}" --arg ceil_c "$ceil_c" --argjson rss "$rss_kb" \
   --argjson returned "$returned" --argjson missing "$ledger_missing" --argjson extra "$ledger_extra" \
   --arg date "$(date -u +%FT%TZ)" --argjson micro_id "${micro_id:-null}" \
   --argjson pg "$pg_settings" --argjson cpu_split "$cpu" --argjson lag "$lag" \
   --argjson integ "$integ" --argjson fsync_off "$fsync_off" --argjson log_check "$log_check" \
   --argjson ceil_b_json "${ceil_b_json:-null}" --arg mem "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" \
   --arg kernel "$(uname -r)" --arg secs "$SECS" --argjson hsm_sat "$hsm_sat" \
  '{ date: $date,
    machine: { cpu: $cpu, cores: $cores, memory_gib: ($mem | tonumber), kernel: $kernel,
               shared: "load generator, meshcad and PostgreSQL on the same cores" },
    postgres: $pg,
    command: ("BENCH_SECONDS=" + $secs + " make bench"),
    ceilings: { a_verify_plus_sign_per_s: $ceil_a, a_per_core: $pair,
                b_ledger_write_path_records_per_s: ($ceil_b | tonumber? // null),
                b_detail: $ceil_b_json,
                c_ssh_keygen_per_s: ($ceil_c | tonumber) },
    saturation_certs_per_s: $runs[0].created_per_second,
    saturation_ca_key_in_softhsm: $hsm_sat,
    log: { records_per_s_write_path_durable: $runs[0].created_per_second,
           records_per_s_write_path_note: "the saturation run: every certificate is one sealed record committed durably",
           integrator: $integ, integrator_target_records_per_s: 20000,
           lag_commit_to_checkpoint_ms: $lag, lag_target_ms: 1000,
           check: $log_check },
    cpu_at_saturation: $cpu_split,
    fsync_off_not_durable: $fsync_off,
    ratio_to_ceiling_a: ($runs[0].created_per_second / $ceil_a),
    ratio_to_ceiling_b: (if ($ceil_b | tonumber? // null) then $runs[0].created_per_second / ($ceil_b | tonumber) else null end),
    ratio_to_ceiling_c: ($runs[0].created_per_second / ($ceil_c | tonumber)),
    meshcad_peak_rss_mib: ($rss / 1024),
    ledger_check: { returned: $returned, missing_from_ledger: $missing, in_ledger_not_returned: $extra },
    identity_verify: $micro_id,
    runs: $runs }' >"$json"
bash "$MESHCA_TOP/tests/bench/plot.sh" "$json" >"${json%.json}.svg"
echo "bench: wrote $json and ${json%.json}.svg"
jq '{postgres, saturation_certs_per_s, saturation_ca_key_in_softhsm, ratio_to_ceiling_a, ratio_to_ceiling_b, ratio_to_ceiling_c,
    cpu_at_saturation, meshcad_peak_rss_mib, ledger_check,
    log_records_per_s_write_path_durable: .log.records_per_s_write_path_durable,
    log_integrator: .log.integrator, log_lag_commit_to_checkpoint_ms: .log.lag_commit_to_checkpoint_ms,
    fsync_off_not_durable}' "$json"
ok "bench completed"
# Issue #18: the usage report over 1,000,000 logins (its own cluster and
# meshcad; this run's is stopped first so that it has the cores).
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
bash "$MESHCA_TOP/tests/bench/usage.sh"
