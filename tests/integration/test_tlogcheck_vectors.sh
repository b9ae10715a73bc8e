#!/usr/bin/env bash
# tests/tools/tlogcheck's known-answer vectors, checked against what openssl
# computes from the definitions (RFC 6962 hashes, C2SP signed-note Ed25519
# signatures): the vectors that test_tlog.c trusts are right on their own.
. "$(dirname "$0")/../lib/harness.sh"

TLOGCHECK=$BUILD/tests/tools/tlogcheck
[ -x "$TLOGCHECK" ] || bail "no $TLOGCHECK: run make test-build"

V=$T_TMP/vectors.json
check "tlogcheck vectors runs" sh -c '"$1" vectors >"$2"' sh "$TLOGCHECK" "$V"
check "the vectors are valid JSON" jq -e . "$V"
check "the vectors are deterministic" sh -c '"$1" vectors | cmp - "$2"' sh "$TLOGCHECK" "$V"

j() { jq -r "$@" "$V"; }
# Hex without xxd (coreutils and bash only).
tohex() { od -An -v -tx1 | tr -d ' \n'; }
unhex() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
# SHA-256 of the bytes given as hex, as standard base64.
sha_hex_b64() { unhex "$1" | openssl dgst -sha256 -binary | base64 -w0; }
b64hex() { printf '%s' "$1" | base64 -d | tohex; }
leaf() { sha_hex_b64 "00$(printf 'entry %d' "$1" | tohex)"; }
node() { sha_hex_b64 "01$(b64hex "$1")$(b64hex "$2")"; }

check_eq "300 leaf hashes and 300 roots" "$(j '[(.leaf_hashes|length), (.roots|length)]|@csv')" "300,300"
for i in 0 1 2 255 299; do
    check_eq "leaf hash of entry $i is SHA-256(0x00 || entry)" "$(j ".leaf_hashes[$i]")" "$(leaf $i)"
done
h0=$(leaf 0); h1=$(leaf 1); h2=$(leaf 2); h3=$(leaf 3)
check_eq "root of size 1 is the leaf hash" "$(j '.roots[0]')" "$h0"
r2=$(node "$h0" "$h1")
check_eq "root of size 2 is SHA-256(0x01 || h0 || h1)" "$(j '.roots[1]')" "$r2"
check_eq "root of size 3 is node(root 2, h2)" "$(j '.roots[2]')" "$(node "$r2" "$h2")"
r4=$(node "$r2" "$(node "$h2" "$h3")")
check_eq "root of size 4 is node(node(h0,h1), node(h2,h3))" "$(j '.roots[3]')" "$r4"
check_eq "root of size 5 is node(root 4, h4)" "$(j '.roots[4]')" "$(node "$r4" "$(leaf 4)")"

check_eq "inclusion of 0 in size 2 is [h1]" \
    "$(j '.inclusion[]|select(.index==0 and .size==2)|.proof|join(",")')" "$h1"
check_eq "inclusion of 2 in size 3 is [root 2]" \
    "$(j '.inclusion[]|select(.index==2 and .size==3)|.proof|join(",")')" "$r2"
check_eq "inclusion of 0 in size 4 is [h1, node(h2,h3)] (bottom-up)" \
    "$(j '.inclusion[]|select(.index==0 and .size==4)|.proof|join(",")')" "$h1,$(node "$h2" "$h3")"
check_eq "consistency 1 -> 2 is [h1]" \
    "$(j '.consistency[]|select(.old==1 and .new==2)|.proof|join(",")')" "$h1"
check_eq "consistency 2 -> 3 is [h2]" \
    "$(j '.consistency[]|select(.old==2 and .new==3)|.proof|join(",")')" "$h2"
check_eq "consistency 3 -> 4 is [h2, h3, root 2]" \
    "$(j '.consistency[]|select(.old==3 and .new==4)|.proof|join(",")')" "$h2,$h3,$r2"
check_eq "every consistency proof between equal sizes is empty" \
    "$(j '[.consistency[]|select(.old==.new)|.proof|length]|add')" "0"
check "consistency vectors include powers of two and their neighbours" \
    jq -e '[.consistency[]|select(.old==127 and .new==129), select(.old==256 and .new==257)]|length==2' "$V"

# Tiles: level 0 tile 0 holds leaf hashes 0..255; level 1 tile 0 holds the
# root of the first 256 leaves (tree level 8).
check_eq "tile/0/000 is leaf hashes 0..255" \
    "$(j '.tiles[]|select(.path=="tile/0/000")|.data' | base64 -d | tohex)" \
    "$(j '.leaf_hashes[0:256][]' | while read -r h; do b64hex "$h"; done | tr -d '\n')"
check_eq "tile/0/001.p/44 is leaf hashes 256..299" \
    "$(j '.tiles[]|select(.path=="tile/0/001.p/44")|.data' | base64 -d | tohex)" \
    "$(j '.leaf_hashes[256:300][]' | while read -r h; do b64hex "$h"; done | tr -d '\n')"
check_eq "tile/1/000.p/1 is the root of size 256" \
    "$(j '.tiles[]|select(.path=="tile/1/000.p/1")|.data')" "$(j '.roots[255]')"
for p in tile/0/x001/234 tile/1/000.p/7 tile/entries/x002/000 tile/0/x123/x456/789.p/10 \
    tile/entries/000.p/44 tile/0/000; do
    check "tile path $p is among the vectors" jq -e --arg p "$p" '[.tile_paths[]|select(.path==$p)]|length==1' "$V"
done
check_eq "tile/0/x001/234 is level 0, index 1234, width 256" \
    "$(j '.tile_paths[]|select(.path=="tile/0/x001/234")|[.level,.index,.width]|@csv')" "0,1234,256"

# The signed note: Ed25519 from the seed 00 01 .. 1f, checked with openssl.
seed_hex=$(j .note.seed | base64 -d | tohex)
check_eq "the seed is bytes 0..31" "$seed_hex" "$(printf '%02x' $(seq 0 31))"
unhex "302e020100300506032b657004220420$seed_hex" >"$T_TMP/sk.der"
openssl pkey -inform DER -in "$T_TMP/sk.der" -pubout -outform DER 2>>"$T_LOG" | tail -c 32 >"$T_TMP/pk.raw"
vkey=$(j .note.vkey)
name=$(j .note.name)
check_eq "vkey is name+hash+base64(0x01 || public key)" "${vkey#*+*+}" \
    "$( (printf '\001'; cat "$T_TMP/pk.raw") | base64 -w0)"
keyhash=$( (printf '%s\n\001' "$name"; cat "$T_TMP/pk.raw") | openssl dgst -sha256 -binary | head -c 4 | tohex)
check_eq "vkey's hash is SHA-256(name || \\n || 0x01 || key)[:4]" "$(echo "$vkey" | cut -d+ -f2)" "$keyhash"
check_eq "the checkpoint text is origin, 300, root of size 300" "$(j .note.checkpoint)" \
    "$(printf '%s\n300\n%s' "$name" "$(j '.roots[299]')")"
j -j .note.note >"$T_TMP/note"
j -j .note.checkpoint >"$T_TMP/text"
sigline=$(tail -n 1 "$T_TMP/note")
check "the note is the text, a blank line, one signature line" \
    sh -c '{ cat "$1"; echo; echo "$3"; } | cmp - "$2"' sh "$T_TMP/text" "$T_TMP/note" "$sigline"
check_match "the signature line is an em dash, the name, base64" "$sigline" "^— $name [A-Za-z0-9+/]+=*$"
echo "${sigline##* }" | base64 -d >"$T_TMP/sig.all"
check_eq "the signature starts with the key hash" "$(head -c 4 "$T_TMP/sig.all" | tohex)" "$keyhash"
tail -c 64 "$T_TMP/sig.all" >"$T_TMP/sig"
unhex "302a300506032b6570032100$(tohex <"$T_TMP/pk.raw")" >"$T_TMP/pk.der"
openssl pkey -pubin -inform DER -in "$T_TMP/pk.der" -out "$T_TMP/pk.pem" 2>>"$T_LOG"
check "openssl verifies the Ed25519 signature over the text" \
    openssl pkeyutl -verify -pubin -inkey "$T_TMP/pk.pem" -rawin -in "$T_TMP/text" -sigfile "$T_TMP/sig"
printf 'x' >>"$T_TMP/text"
check_fails "openssl refuses it over a changed text" \
    openssl pkeyutl -verify -pubin -inkey "$T_TMP/pk.pem" -rawin -in "$T_TMP/text" -sigfile "$T_TMP/sig"

# Usage and network errors exit 2, not 1.
"$TLOGCHECK" >>"$T_LOG" 2>&1
check_eq "no arguments: exit 2" "$?" 2
"$TLOGCHECK" verify --url http://127.0.0.1:1/v1/log >>"$T_LOG" 2>&1
check_eq "verify without --vkey: exit 2" "$?" 2
port=$(free_port)
"$TLOGCHECK" verify --url "http://127.0.0.1:$port/v1/log" --vkey "$vkey" >>"$T_LOG" 2>&1
check_eq "verify against a closed port: exit 2" "$?" 2
