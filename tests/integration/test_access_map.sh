#!/usr/bin/env bash
# The report's access map at scale (issue #18): a generated report of 50
# roles, 500 hosts and 2,000 people (tests/data/usage/make-usage.sh) renders
# as an aggregated graph — at most ACCESSMAP_NODES_MAX nodes a column, the
# heaviest edges only, hosts by group, unused grants dashed — that headless
# Chromium draws.  The screenshot is kept when ACCESS_MAP_SCREENSHOT names a
# file, to look at.
. "$(dirname "$0")/../lib/harness.sh"

GEN=$MESHCA_TOP/tests/data/usage/make-usage.sh
export HOME=$T_TMP/home
mkdir -p "$HOME"
check "the generator makes a report of 50 roles, 500 hosts, 2000 people" \
    sh -c "sh '$GEN' 50 500 2000 >'$T_TMP/big.json'"
check_eq "with 50 roles and 500 hosts in its map" \
    "$(jq -c '[([.usage.access_map.roles_principals[].role] | unique | length),
               ([.usage.access_map.principals_hosts[].host] | unique | length)]' "$T_TMP/big.json")" "[50,500]"
check "meshca report --input renders it" \
    "$MESHCA_BIN" report --input "$T_TMP/big.json" --output "$T_TMP/big.html"
sed -n '/aria-label="Access map"/,/<\/svg>/p' "$T_TMP/big.html" >"$T_TMP/map.svg"
check "the report holds the access map" test -s "$T_TMP/map.svg"
check "an XML parser reads it (Python's xml.etree)" \
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T_TMP/map.svg"
nodes=$(grep -c '<rect' "$T_TMP/map.svg")
edges=$(grep -c '<path' "$T_TMP/map.svg")
check "at most 24 nodes a column ($nodes in all)" test "$nodes" -le 96
check "edges bounded, no hairball ($edges)" test "$edges" -le 288
check_match "the rest of each column is folded into one node" "$(cat "$T_TMP/map.svg")" '>[0-9]+ more<'
check_match "hosts are drawn by group" "$(cat "$T_TMP/map.svg")" '>svc[0-9]+-api \(5 hosts\)<'
check "granted-but-unused edges are dashed" grep -q 'stroke-dasharray' "$T_TMP/map.svg"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || bail "chromium is installed (tests/tools/deps.sh installs Debian's chromium)"
{ echo '<!DOCTYPE html><html><body style="margin:0;background:#fff">'; cat "$T_TMP/map.svg"; echo '</body></html>'; } \
    >"$T_TMP/map.html"
prof=$(mktemp -d "$T_TMP/chromium.XXXXXX")
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --screenshot="$T_TMP/map.png" --window-size=1200,720 \
    "file://$T_TMP/map.html" >>"$T_LOG" 2>&1
check "Chromium took a screenshot of the map" test -s "$T_TMP/map.png"
check_eq "the screenshot is a PNG" "$(head -c 8 "$T_TMP/map.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
check "the screenshot is not blank (over 60 KB of picture)" test "$(stat -c %s "$T_TMP/map.png")" -gt 60000
[ -n "${ACCESS_MAP_SCREENSHOT:-}" ] && cp "$T_TMP/map.png" "$ACCESS_MAP_SCREENSHOT"
dom=$(timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$prof" --dump-dom "file://$T_TMP/big.html" 2>>"$T_LOG")
check_match "Chromium lays out the report's access map section" "$dom" 'id="access-map"'
true
