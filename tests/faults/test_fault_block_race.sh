#!/usr/bin/env bash
# Fault: the subject-block race of test_revocation_block_race.sh, repeated
# (RACE_ROUNDS, default 6) with a fresh subject each time, on two replicas.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/blockrace.sh"

race_stack_start
for r in $(seq 1 "${RACE_ROUNDS:-6}"); do
    race_round "racer-$r"
done
check "the ledger chain verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
