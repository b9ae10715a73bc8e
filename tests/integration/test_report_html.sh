#!/usr/bin/env bash
# `meshca report` on generated reports (tests/data/report/make-fixture.sh):
# the HTML is opened in headless Chromium, which takes a screenshot and
# dumps the DOM; the page must show the totals, every principal, the ledger
# integrity line (verified and broken), and keep a hostile reason inert.
# Also: CSV and JSON output, exit codes, and the fetch from a stand-in
# server (the request it receives: path, period, bearer token).  Prints the
# time to render 10,000 certificates (a figure, not a check).
. "$(dirname "$0")/../lib/harness.sh"

FIX=$MESHCA_TOP/tests/data/report
GEN=$FIX/make-fixture.sh
export HOME=$T_TMP/home
mkdir -p "$HOME"
unset MESHCA_SERVER MESHCA_ID_TOKEN MESHCA_CA_FILE

# The committed fixtures are exactly what the generator makes.
mkdir -p "$T_TMP/fx"
check "the fixture generator runs" sh "$GEN" --all "$T_TMP/fx"
for f in typical broken empty; do
    check "tests/data/report/$f.json is the generator's output" cmp "$FIX/$f.json" "$T_TMP/fx/$f.json"
done
TYP=$FIX/typical.json

# HTML
check "meshca report --input renders HTML" "$MESHCA_BIN" report --input "$TYP" --output "$T_TMP/report.html"
check_eq "the report file is mode 0644" "$(stat -c %a "$T_TMP/report.html" 2>/dev/null)" 644
check_eq "no temp file is left beside it" "$(ls "$T_TMP" | grep -c '^report\.html\.tmp')" 0
check_fails "the HTML has no script and loads nothing (no src/href attribute, no url(), no @import)" \
    grep -Eiq '<script|<[^>]*[[:space:]](src|href|xlink:href|action)=|@import|url\(|<link|<iframe' "$T_TMP/report.html"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    not_ok "chromium is installed (tests/tools/deps.sh installs Debian's chromium)"
    exit 1
fi
chrome() {  # chrome ARGS... : one headless run with a fresh profile
    local prof
    prof=$(mktemp -d "$T_TMP/chromium.XXXXXX")
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" "$@" 2>>"$T_LOG"
}
png_size() {  # WIDTHxHEIGHT from a PNG's IHDR
    od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8 }'
}

chrome --screenshot="$T_TMP/report.png" --window-size=1280,2000 "file://$T_TMP/report.html" >>"$T_LOG"
check "Chromium took a screenshot of the report" test -s "$T_TMP/report.png"
check_eq "the screenshot is a PNG" "$(head -c 8 "$T_TMP/report.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
check_eq "the screenshot is 1280x2000" "$(png_size "$T_TMP/report.png")" 1280x2000
check "the screenshot is not blank (over 60 KB of picture)" test "$(stat -c %s "$T_TMP/report.png" 2>/dev/null || echo 0)" -gt 60000
[ -n "${REPORT_SCREENSHOT:-}" ] && cp "$T_TMP/report.png" "$REPORT_SCREENSHOT"

dom=$(chrome --dump-dom "file://$T_TMP/report.html")
text=$(printf '%s' "$dom" | sed 's/<[^>]*>/ /g')
check "Chromium parsed the page" test -n "$dom"

for k in certs:certificates subjects:subjects denials:denials revocations:revocations active:active_now; do
    want=$(jq ".totals.${k#*:}" "$TYP")
    check_match "the page shows the total ${k#*:} ($want)" "$dom" "<td id=\"t-${k%%:*}\">$want</td>"
done
head_seq=$(jq -r .integrity.head_seq "$TYP")
head_hash=$(jq -r .integrity.head_hash "$TYP")
check_match "the page shows the integrity line" "$text" \
    "Ledger integrity: chain verified through record $head_seq, head hash $head_hash"
check_match "the integrity line is marked verified" "$dom" '<p class="integrity ok" id="integrity">'
missing=""
while read -r p; do
    grep -qF "<h3>$p<span" <<<"$dom" || missing="$missing $p"
done < <(jq -r '[.access[].principals[]] | unique[]' "$TYP")
check_eq "every principal has its table" "${missing:-none}" none
rows=$(printf '%s' "$dom" | sed -n '/<section id="access">/,/<\/section>/p' | grep -o '<tr><td class="nw">' | wc -l)
check_eq "one access row per certificate and principal" "$rows" "$(jq '[.access[].principals | length] | add' "$TYP")"
active=$(printf '%s' "$dom" | sed -n '/<section id="active">/,/<\/section>/p' | grep -o '<tr><td class="nw">' | wc -l)
check_eq "the valid-now table lists what the report says is active" "$active" "$(jq '.active | length' "$TYP")"
check_match "the page lists the denials' reasons" "$text" 'principal payments/db is not granted: no role of [a-z]+@example.com names it'
check_match "the page lists the revocations" "$text" 'left the company .*carol@example.com'
check_match "the chart is drawn (one bar per busy hour)" "$(grep -o '<rect class="bar"' <<<"$dom" | wc -l)" "^$(jq '.issuance_by_hour | length' "$TYP")$"
check_match "a hostile reason is shown as text" "$dom" '&lt;script&gt;alert\("pwned"\)&lt;/script&gt; &lt;img src=x onerror=alert\(1\)&gt;'
check_fails "and never becomes a script element" grep -qi '<script' <<<"$dom"
check_fails "nor an img element" grep -qi '<img' <<<"$dom"

# A broken chain is said loudly.
"$MESHCA_BIN" report --input "$FIX/broken.json" --output "$T_TMP/broken.html" 2>"$T_TMP/broken.err"
check_eq "a broken chain still renders (exit 0)" "$?" 0
check_match "and meshca warns on stderr" "$(cat "$T_TMP/broken.err")" "WARNING: the ledger's log is BROKEN at $(jq .integrity.first_bad "$FIX/broken.json")"
dom=$(chrome --dump-dom "file://$T_TMP/broken.html")
text=$(printf '%s' "$dom" | sed 's/<[^>]*>/ /g')
check_match "the page says BROKEN at the record, with the message" "$text" \
    "Ledger integrity: BROKEN at record $(jq .integrity.first_bad "$FIX/broken.json") — $(jq -r .integrity.message "$FIX/broken.json" | sed 's/[()]/\\&/g')"
check_match "in the alert style" "$dom" '<p class="integrity bad" id="integrity" role="alert">'
chrome --screenshot="$T_TMP/broken.png" --window-size=1280,800 "file://$T_TMP/broken.html" >>"$T_LOG"
check "Chromium took a screenshot of the broken report" test -s "$T_TMP/broken.png"

# A quiet day.
check "an empty report renders" "$MESHCA_BIN" report --input "$FIX/empty.json" --output "$T_TMP/empty.html"
text=$(chrome --dump-dom "file://$T_TMP/empty.html" | sed 's/<[^>]*>/ /g')
check_match "and says nothing was issued" "$text" 'No certificates were issued in this period'

# CSV and JSON
"$MESHCA_BIN" report --input "$TYP" --format csv >"$T_TMP/report.csv" 2>>"$T_LOG"
check_eq "CSV to stdout (exit 0)" "$?" 0
check_eq "CSV header" "$(head -n 1 "$T_TMP/report.csv")" $'principal,serial,key_id,subject,email,issuer,role,reason,valid_after,valid_before,duration_seconds,revoked,client_address\r'
check_eq "CSV: a line per certificate and principal, plus the header" "$(wc -l <"$T_TMP/report.csv")" "$(( $(jq '[.access[].principals | length] | add' "$TYP") + 1 ))"
check_eq "CSV lines end in CRLF" "$(grep -vc $'\r$' "$T_TMP/report.csv")" 0
check "a formula-like reason is defused" grep -qF "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\"" "$T_TMP/report.csv"
check "quotes and commas are quoted" grep -qF '"rollback, then ""verify"" & report"' "$T_TMP/report.csv"
check "meshca report --format json" "$MESHCA_BIN" report --input "$TYP" --format json --output "$T_TMP/report.json"
check_eq "the JSON is the report as given" "$(jq -S . "$T_TMP/report.json" | sha256sum)" "$(jq -S . "$TYP" | sha256sum)"

# Exit codes
"$MESHCA_BIN" report --input "$TYP" --format pdf >/dev/null 2>>"$T_LOG"
check_eq "an unknown format is a usage error (2)" "$?" 2
"$MESHCA_BIN" report --since "last tuesday" --server http://127.0.0.1:9 >/dev/null 2>>"$T_LOG"
check_eq "an unreadable time is a usage error (2)" "$?" 2
"$MESHCA_BIN" report --input "$T_TMP/nonexistent.json" >/dev/null 2>>"$T_LOG"
check_eq "a missing input file fails (1)" "$?" 1
"$MESHCA_BIN" report >/dev/null 2>"$T_TMP/noserver.err"
check_eq "no server configured is a usage error (2)" "$?" 2
check_match "and says where a server comes from" "$(cat "$T_TMP/noserver.err")" 'MESHCA_SERVER|--server'
check "--help prints the usage" "$MESHCA_BIN" report --help
dead=$(free_port)
MESHCA_ID_TOKEN=tok "$MESHCA_BIN" report --server "http://127.0.0.1:$dead" >/dev/null 2>>"$T_LOG"
check_eq "an unreachable server exits 3" "$?" 3

# The fetch, against a stand-in server that records what it is asked.
port=$(free_port)
mkdir -p "$T_TMP/srv"
cp "$TYP" "$T_TMP/srv/report.json"
node -e '
const http = require("http"), fs = require("fs"), path = require("path");
const dir = process.argv[1];
http.createServer((req, res) => {
  fs.appendFileSync(path.join(dir, "requests"), JSON.stringify({method: req.method, url: req.url,
    auth: req.headers.authorization || null}) + "\n");
  let status = 200;
  try { status = parseInt(fs.readFileSync(path.join(dir, "status"), "utf8"), 10); } catch (e) {}
  if (status !== 200) {
    res.writeHead(status, {"content-type": "application/json"});
    res.end(JSON.stringify({error: "forbidden", message: "this needs an administrator (the policy\u0027s \"admins\"); bob is not one", request_id: "r-1"}));
    return;
  }
  res.writeHead(200, {"content-type": "application/json"});
  res.end(fs.readFileSync(path.join(dir, "report.json")));
}).listen(Number(process.argv[2]), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
' "$T_TMP/srv" "$port" >>"$T_LOG" 2>&1 &
srv_pid=$!
at_exit "kill $srv_pid"
wait_port "$port" || bail "the stand-in server did not start"
echo "id-token-for-the-admin" >"$T_TMP/admin.tok"
check "meshca report fetches from --server with --token-file" "$MESHCA_BIN" report --server "http://127.0.0.1:$port" \
    --token-file "$T_TMP/admin.tok" --since 2026-11-21T13:00:00Z --until 2026-11-22T13:00:00Z --format json --output "$T_TMP/fetched.json"
last=$(tail -n 1 "$T_TMP/srv/requests")
check_eq "it asked GET /v1/report for the period" "$(jq -r '.method + " " + .url' <<<"$last")" \
    "GET /v1/report?since=2026-11-21T13%3A00%3A00Z&until=2026-11-22T13%3A00%3A00Z"
check_eq "with the ID token as a bearer token" "$(jq -r .auth <<<"$last")" "Bearer id-token-for-the-admin"
check_eq "and wrote what the server sent" "$(jq -S . "$T_TMP/fetched.json" | sha256sum)" "$(jq -S . "$TYP" | sha256sum)"
before=$(date +%s)
MESHCA_SERVER="http://127.0.0.1:$port" MESHCA_ID_TOKEN=env-token "$MESHCA_BIN" report --since 7d --output "$T_TMP/fetched.html" 2>>"$T_LOG"
check_eq "MESHCA_SERVER and MESHCA_ID_TOKEN work too (HTML by default)" "$?" 0
last=$(tail -n 1 "$T_TMP/srv/requests")
url=$(jq -r .url <<<"$last")
since=$(sed -n 's/^\/v1\/report?since=\([0-9TZ%A-]*\)$/\1/p' <<<"$url" | sed 's/%3A/:/g')
d_since=$(( $(date -u -d "${since:-1970-01-01}" +%s) - (before - 7 * 86400) ))
check "--since 7d asks for the 7 days before now, up to the server's now ($url)" \
    test -n "$since" -a "$d_since" -ge -1 -a "$d_since" -le 5
MESHCA_SERVER="http://127.0.0.1:$port" MESHCA_ID_TOKEN=env-token "$MESHCA_BIN" report --format csv >/dev/null 2>>"$T_LOG"
check_eq "with no period given, the server's default (last 24 h) is asked for" "$(tail -n 1 "$T_TMP/srv/requests" | jq -r .url)" /v1/report
MESHCA_SERVER="http://127.0.0.1:$port" MESHCA_ID_TOKEN=env-token "$MESHCA_BIN" report --until 2026-11-01 --format csv >/dev/null 2>>"$T_LOG"
check_eq "--until alone asks for the 24 hours before it" "$(tail -n 1 "$T_TMP/srv/requests" | jq -r .url)" \
    "/v1/report?since=2026-10-31T00%3A00%3A00Z&until=2026-11-01T00%3A00%3A00Z"
check_eq "the env token is sent" "$(jq -r .auth <<<"$last")" "Bearer env-token"
check "the fetched HTML is the report" grep -q "Ledger integrity: chain verified through record $head_seq" "$T_TMP/fetched.html"
echo 403 >"$T_TMP/srv/status"
out=$(MESHCA_ID_TOKEN=tok "$MESHCA_BIN" report --server "http://127.0.0.1:$port" --output "$T_TMP/refused.html" 2>&1)
check_eq "a refusal exits 1" "$?" 1
check_match "and shows the server's reason" "$out" "this needs an administrator .*bob is not one \\(HTTP 403, request r-1\\)"
check_fails "and writes no file" test -e "$T_TMP/refused.html"
rm -f "$T_TMP/srv/status"
printf 'not json' >"$T_TMP/srv/report.json"
MESHCA_ID_TOKEN=tok "$MESHCA_BIN" report --server "http://127.0.0.1:$port" >/dev/null 2>>"$T_LOG"
check_eq "an answer that is not JSON fails (1)" "$?" 1
check_fails "plain http to a host that is not loopback is refused" \
    env MESHCA_ID_TOKEN=tok "$MESHCA_BIN" report --server "http://192.0.2.1:$port"

# The figure: 10,000 certificates over a week.
sh "$GEN" --certs 10000 --days 7 --seed 11 >"$T_TMP/big.json"
t0=$(date +%s%N)
"$MESHCA_BIN" report --input "$T_TMP/big.json" --output "$T_TMP/big.html" 2>>"$T_LOG"
rc=$?
t1=$(date +%s%N)
"$MESHCA_BIN" report --input "$T_TMP/big.json" --format csv --output "$T_TMP/big.csv" 2>>"$T_LOG"
t2=$(date +%s%N)
check_eq "a 10,000-certificate report renders" "$rc" 0
check_eq "with a CSV line per certificate and principal" "$(wc -l <"$T_TMP/big.csv")" "$(( $(jq '[.access[].principals | length] | add' "$T_TMP/big.json") + 1 ))"
echo "# 10,000 certificates ($(stat -c %s "$T_TMP/big.json") bytes of JSON): meshca report --input: html $(( (t1 - t0) / 1000000 )) ms ($(stat -c %s "$T_TMP/big.html") bytes), csv $(( (t2 - t1) / 1000000 )) ms, parsing included"
