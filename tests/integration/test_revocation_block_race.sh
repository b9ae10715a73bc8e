#!/usr/bin/env bash
# A subject block holds against issuance in flight, across replicas: two
# meshcad replicas issue to one subject as fast as they can while a block is
# posted to one of them.  No certificate of the subject commits after the
# block, and every certificate returned is revoked by the KRL both replicas
# serve (ssh-keygen -Q).  tests/faults/test_fault_block_race.sh repeats it.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/blockrace.sh"

race_stack_start
race_round racer
check "the ledger chain verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
