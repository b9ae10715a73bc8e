#!/usr/bin/env bash
# The one test driver behind `make test`.  Runs every suite:
#   unit         $BUILD/tests/unit/*/test_*        (C, tests/lib/unit.h)
#   integration  tests/integration/test_*.sh      (real servers, tests/lib/harness.sh)
#   fuzz         a short run of every libFuzzer target (FUZZ_SMOKE_SECONDS, 0 skips)
#   faults       tests/faults/test_*.sh           (only with SUITES=faults)
# Each suite prints "ok - ..." / "not ok - ..." lines; a suite that exits
# non-zero without a "not ok" line, or prints no result at all, counts as one
# failure.  Ends with the line "N passed, N failed"; exit 1 on any failure.
# Environment: BUILD (required), TEST_JOBS (parallel suites, default 2),
# SUITES (space separated, default "unit integration fuzz"), ONLY (a regex on
# suite names), KEEP_LOGS=1.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:?BUILD must name the build directory}"
TEST_JOBS=${TEST_JOBS:-2}
SUITES=${SUITES:-unit integration fuzz}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-10}
ONLY=${ONLY:-}
export BUILD MESHCA_TOP="$top"

logdir=$(mktemp -d "${TMPDIR:-/tmp}/meshca-testlogs.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

items=()
for s in $SUITES; do
    case "$s" in
    unit)
        for b in "$BUILD"/tests/unit/*/test_*; do
            [ -x "$b" ] && items+=("unit:$b")
        done ;;
    integration)
        for t in "$top"/tests/integration/test_*.sh; do
            [ -f "$t" ] && items+=("integration:$t")
        done ;;
    faults)
        for t in "$top"/tests/faults/test_*.sh; do
            [ -f "$t" ] && items+=("faults:$t")
        done ;;
    fuzz)
        if [ "$FUZZ_SMOKE_SECONDS" -gt 0 ]; then
            for b in "$BUILD"/fuzz/fuzz_*; do
                [ -x "$b" ] && items+=("fuzz:$b")
            done
        fi ;;
    esac
done

run_item() {
    local kind=${1%%:*} path=${1#*:} name log rc
    name="$kind/$(basename "$path")"
    log="$logdir/$(echo "$name" | tr / _).log"
    case "$kind" in
    unit) (cd "$top" && "$path") >"$log" 2>&1; rc=$? ;;
    integration|faults) (cd "$top" && bash "$path") >"$log" 2>&1; rc=$? ;;
    fuzz) bash "$top/tests/fuzz/run.sh" --smoke "$path" "$FUZZ_SMOKE_SECONDS" >"$log" 2>&1; rc=$? ;;
    esac
    echo "$rc" >"$log.rc"
    echo "$name" >"$log.name"
}

running=0
for it in "${items[@]}"; do
    if [ -n "$ONLY" ] && ! [[ "$it" =~ $ONLY ]]; then continue; fi
    run_item "$it" &
    running=$((running + 1))
    if [ "$running" -ge "$TEST_JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

total_pass=0
total_fail=0
for log in "$logdir"/*.log; do
    [ -f "$log" ] || continue
    name=$(cat "$log.name")
    rc=$(cat "$log.rc")
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    extra=""
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
        extra=" (exited $rc without a failing check)"
    elif [ "$p" = 0 ] && [ "$f" = 0 ]; then
        f=1
        extra=" (ran no test)"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$f" != 0 ]; then
        echo "== $name: $p passed, $f failed$extra"
        # Show the failures and the end of the log for diagnosis.
        grep '^not ok ' "$log" | sed 's/^/   /'
        echo "   --- last lines of the log ---"
        tail -n 40 "$log" | sed 's/^/   | /'
    else
        echo "== $name: $p passed"
    fi
    if [ "${KEEP_LOGS:-0}" = 1 ]; then
        mkdir -p "$BUILD/test-logs" && cp "$log" "$BUILD/test-logs/"
    fi
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
