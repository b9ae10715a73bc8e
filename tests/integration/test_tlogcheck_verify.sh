#!/usr/bin/env bash
# "tlogcheck verify" against static logs ("tlogcheck fixture") served on
# loopback: a good log passes every check; rollbacks, forks, tampered tiles,
# bundles and proofs fail with exit 1; a log that is not there exits 2.
. "$(dirname "$0")/../lib/harness.sh"

TLOGCHECK=$BUILD/tests/tools/tlogcheck
[ -x "$TLOGCHECK" ] || bail "no $TLOGCHECK: run make test-build"

fx() { # fx NAME SIZE [fixture flags]: a fixture under $T_TMP/NAME
    local name=$1; shift
    "$TLOGCHECK" fixture "$T_TMP/$name" "$@" >>"$T_LOG" 2>&1 || bail "fixture $name"
}
SERVER_PID=
serve() { # serve NAME: (re)start the server on that fixture; sets URL
    local port i
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID"; wait "$SERVER_PID"; fi 2>/dev/null
    port=$(free_port)
    node "$MESHCA_TOP/tests/tools/tlog-fixture-server.js" "$T_TMP/$1" "$port" >>"$T_LOG" 2>&1 &
    SERVER_PID=$!
    wait_port "$port" 10 || bail "fixture server did not start"
    URL="http://127.0.0.1:$port/v1/log"
}
at_exit '[ -z "$SERVER_PID" ] || { kill $SERVER_PID; wait $SERVER_PID; }'
# run ARGS...: tlogcheck verify against $URL; sets RC and OUT.
run() {
    OUT=$("$TLOGCHECK" verify --url "$URL" --vkey "$VKEY" "$@" 2>&1)
    RC=$?
    printf '+ verify %s\n%s\nexit %s\n' "$*" "$OUT" "$RC" >>"$T_LOG"
}
fails_with() { # fails_with DESC REGEX: exit 1 and a "not ok" line matching
    if [ "$RC" = 1 ] && [[ "$OUT" =~ not\ ok\ -\ .*$2 ]]; then ok "$1"; else not_ok "$1"; fi
}

fx log300 300
fx log200 200
fx fork200 200 --fork
fx fork300 300 --fork
fx p200 300 --proof-size 200
VKEY=$(cat "$T_TMP/log300/vkey")
check_match "the fixture's vkey" "$VKEY" '^example\.com/log\+[0-9a-f]{8}\+'

serve log300
run --serial 17 --save "$T_TMP/saved"
check_eq "a good log verifies (exit 0)" "$RC" 0
check_match "tree hash over tiles checked" "$OUT" "ok - tree hash over [0-9]+ tiles"
check_match "all 300 entries checked" "$OUT" "ok - 300 entries in 2 bundles"
check_match "inclusion of serial 17 checked" "$OUT" "ok - serial 17: inclusion proof of index 17 in tree size 300"
check_match "serial 17's entry is canonical" "$OUT" "ok - serial 17: the entry is canonical JSON"
check "--save wrote the verified checkpoint" cmp "$T_TMP/saved" "$T_TMP/log300/checkpoint"

run --old "$T_TMP/log200/checkpoint"
check_eq "consistent with an older checkpoint of the same log" "$RC" 0
check_match "the server's consistency proof was compared" "$OUT" "ok - server consistency proof 200 -> 300 equals the computed one"
run --old "$T_TMP/saved"
check_eq "consistent with itself (equal sizes)" "$RC" 0

run --old "$T_TMP/fork200/checkpoint"
fails_with "an old checkpoint of a forked log is a fork" "FORK or ROLLBACK"
run --old "$T_TMP/fork300/checkpoint"
fails_with "a different root at the same size is a fork" "FORK or ROLLBACK"

serve log200
run --old "$T_TMP/saved" --save "$T_TMP/saved2"
fails_with "a log that shrank is a rollback" "FORK or ROLLBACK: the log shrank from 300 to 200"
check_fails "nothing saved on failure" test -e "$T_TMP/saved2"

# Partial tiles gone (C2SP allows it once a tile is full): serial proofs in
# the tree of size 200 need tile/0/000.p/200, which only exists as the full
# tile/0/000.
serve p200
run --serial 150
check_eq "a proof in an older tree verifies through full tiles" "$RC" 0
check_match "its tree is tied to the checkpoint" "$OUT" "ok - serial proof's tree is consistent with the checkpoint"

# Tampering, one thing at a time.
tamper() { # tamper NAME: a fresh copy of log300 as NAME, served
    rm -rf "${T_TMP:?}/$1"
    cp -r "$T_TMP/log300" "$T_TMP/$1"
    serve "$1"
}
tamper t1
printf '\001' | dd of="$T_TMP/t1/tile/0/000" bs=1 seek=100 conv=notrunc 2>/dev/null
run
fails_with "a changed byte in a hash tile fails" "entries|leaf hash|tree hash|tile"
tamper t2
sed -i 's/"serial":"5"/"serial":"6"/' "$T_TMP/t2/tile/entries/000"
run
fails_with "a changed entry fails" "entry 5: record hash"
tamper t3
head -c -10 "$T_TMP/log300/tile/entries/001.p/44" >"$T_TMP/t3/tile/entries/001.p/44"
run
fails_with "a truncated entry bundle fails" "tile/entries/001.p/44"
tamper t4
cp "$T_TMP/log300/proof/from-100-to-300.json" "$T_TMP/t4/proof/from-200-to-300.json"
run --old "$T_TMP/log200/checkpoint"
fails_with "a consistency proof for other sizes fails" "consistency proof response"
tamper t5
jq -c '.consistency |= reverse' "$T_TMP/log300/proof/from-200-to-300.json" >"$T_TMP/t5/proof/from-200-to-300.json"
run --old "$T_TMP/log200/checkpoint"
fails_with "a wrong server consistency proof fails" "consistency proof 200 -> 300 fails"
tamper t6
cp "$T_TMP/log300/proof/serial-18.json" "$T_TMP/t6/proof/serial-17.json"
run --serial 17
fails_with "another certificate's proof for a serial fails" "serial\":\"17\""
tamper t7
e=$(printf '{"type":"certificate", "serial":"17"}' | base64 -w0)
jq -c --arg e "$e" '.entry = $e' "$T_TMP/log300/proof/serial-17.json" >"$T_TMP/t7/proof/serial-17.json"
run --serial 17
fails_with "a non-canonical entry fails" "not canonical"
tamper t8
jq -c '.index = 18' "$T_TMP/log300/proof/serial-17.json" >"$T_TMP/t8/proof/serial-17.json"
run --serial 17
fails_with "an inclusion proof for the wrong index fails" "inclusion proof of index 18"

serve log300
# The same public key under another name: a valid verifier key whose
# signature the checkpoint does not carry.
keyb64=${VKEY#*+*+}  # the key itself may hold "+"
khash=$( (printf 'example.org/log\n'; printf '%s' "$keyb64" | base64 -d) |
    openssl dgst -sha256 -binary | head -c 4 | od -An -tx1 | tr -d ' \n')
VKEY="example.org/log+$khash+$keyb64"
run
fails_with "a checkpoint not signed by the given key fails" "checkpoint signature"

VKEY=$(cat "$T_TMP/log300/vkey")
rm "$T_TMP/log300/tile/0/001.p/44"
run
check_eq "a missing tile is an HTTP error (exit 2)" "$RC" 2
