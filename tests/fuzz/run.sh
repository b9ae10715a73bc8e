#!/usr/bin/env bash
# Runs libFuzzer targets.
#   run.sh                       every $BUILD/fuzz/fuzz_* for $FUZZ_SECONDS each
#   run.sh --smoke BIN SECONDS   one target, briefly (make test); prints ok/not ok
# Seeds come from tests/fuzz/seed_X.sh for fuzz_X (generated into $BUILD/fuzz/corpus/fuzz_X);
# crashes found are kept in tests/fuzz/regress/NAME/ and replayed on every run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${BUILD:=$top/build}"

run_one() {
    local bin=$1 secs=$2 name corpus regress work rc
    name=$(basename "$bin")
    corpus=$BUILD/fuzz/corpus/$name
    regress=$top/tests/fuzz/regress/$name
    mkdir -p "$corpus"
    # Seeds: tests/fuzz/seed_NAME.sh OUTDIR writes the seed corpus.
    if [ -f "$top/tests/fuzz/seed_${name#fuzz_}.sh" ] && [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
        BUILD=$BUILD bash "$top/tests/fuzz/seed_${name#fuzz_}.sh" "$corpus" || {
            echo "not ok - $name: seed script failed"; return 1; }
    fi
    # Replay kept regressions first: each must run clean.
    if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
        if ! "$bin" -runs=0 "$regress"/* >"$BUILD/fuzz/$name.regress.log" 2>&1; then
            echo "not ok - $name: a kept regression input crashes"
            tail -n 20 "$BUILD/fuzz/$name.regress.log"
            return 1
        fi
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/meshca-fuzz.XXXXXX")
    "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/" "$work" "$corpus" \
        >"$BUILD/fuzz/$name.log" 2>&1
    rc=$?
    if [ "$rc" != 0 ]; then
        mkdir -p "$regress"
        for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
            [ -f "$a" ] && cp "$a" "$regress/"
        done
        echo "not ok - $name: fuzzer found a failure (kept in tests/fuzz/regress/$name)"
        tail -n 30 "$BUILD/fuzz/$name.log"
    else
        echo "ok - $name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/fuzz/$name.log" | grep -o '[0-9]*$') runs in ${secs}s, no failure"
    fi
    rm -rf "$work"
    return "$rc"
}

if [ "${1:-}" = --smoke ]; then
    run_one "$2" "$3"
    exit $?
fi
fail=0
for b in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$b" ] || continue
    run_one "$b" "${FUZZ_SECONDS:-60}" || fail=1
done
exit $fail
