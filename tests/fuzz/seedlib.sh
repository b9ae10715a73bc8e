#!/usr/bin/env bash
# Sourced by the tests/fuzz/seed_X.sh scripts that need a scratch directory
# (after their `set -eu`): out=$1, the corpus directory, created; BUILD, the
# build tree (run.sh passes it); work, a temporary directory removed on exit.
out=$1
mkdir -p "$out"
: "${BUILD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
work=$(mktemp -d "${TMPDIR:-/tmp}/meshca-seed.XXXXXX")
trap 'rm -rf "$work"' EXIT
