#!/usr/bin/env bash
# Compliance from the ledger: GET /v1/certificates (admins; filters, CSV),
# GET /v1/report and `meshca report`, whose HTML is opened in headless
# Chromium (a screenshot is taken and the page's text checked for totals,
# principals and the integrity line; a hostile reason stays inert); and
# `meshcad ledger verify` catches an edited, a deleted and a reordered record.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_start
export MESHCA_SERVER=$MESHCAD_URL
mint_token "$(claims_for carol '["meshca-admins"]')" >"$T_TMP/admin.tok"
for n in 1 2 3; do
    issue "$(token $n)" "{\"public_key\":\"$(user_key k$n)\",\"principals\":[\"payments/api\"],\"reason\":\"INC-$n\"}"
done
issue "$(token 4)" "{\"public_key\":\"$(user_key k4)\",\"principals\":[\"payments/worker\"],\"reason\":\"<script>alert(1)</script>\"}"
check_eq "four certificates issued" "$(psql_admin -c 'SELECT count(*) FROM certificates')" 4
issue "$(token 5)" "{\"public_key\":\"$(user_key k5)\",\"principals\":[\"payments/db\"]}"
check_eq "one denial" "$HTTP_STATUS" 403
"$MESHCA_BIN" revoke --subject bench-user-2 --reason "left the team" --token-file "$T_TMP/admin.tok" >>"$T_LOG" 2>&1

admin_get() { curl -sS -H "Authorization: Bearer $(cat "$T_TMP/admin.tok")" "$MESHCAD_URL$1"; }
out=$(admin_get "/v1/certificates")
check_eq "GET /v1/certificates lists them" "$(echo "$out" | jq .count)" 4
check_eq "filter by principal" "$(admin_get "/v1/certificates?principal=payments/worker" | jq .count)" 1
check_eq "filter by subject" "$(admin_get "/v1/certificates?subject=bench-user-3" | jq -r '.certificates[0].subject')" bench-user-3
check_eq "active only leaves out the revoked" "$(admin_get "/v1/certificates?active=1" | jq .count)" 3
check_eq "pagination: limit and next_after" "$(admin_get "/v1/certificates?limit=2" | jq '.count, (.next_after != null)' | tr '\n' ' ')" "2 true "
csv=$(admin_get "/v1/certificates?format=csv")
check_match "CSV has a header" "$csv" '^serial,created_seq,subject,email,role,principals'
check_eq "CSV has a row per certificate" "$(echo "$csv" | wc -l)" 5
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(token 9)" "$MESHCAD_URL/v1/certificates")
check_eq "a non-admin gets 403 on GET /v1/certificates" "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(token 9)" "$MESHCAD_URL/v1/report")
check_eq "a non-admin gets 403 on GET /v1/report" "$code" 403

# The report
check "meshca report --format json" "$MESHCA_BIN" report --format json --output "$T_TMP/report.json" --token-file "$T_TMP/admin.tok"
check_eq "report totals: certificates" "$(jq .totals.certificates "$T_TMP/report.json")" 4
check_eq "report totals: denials" "$(jq .totals.denials "$T_TMP/report.json")" 1
check_eq "report: the integrity is verified" "$(jq .integrity.verified "$T_TMP/report.json")" true
check "meshca report --format csv" "$MESHCA_BIN" report --format csv --output "$T_TMP/report.csv" --token-file "$T_TMP/admin.tok"
check_match "the CSV guards against formulas and quotes" "$(cat "$T_TMP/report.csv")" '"<script>alert\(1\)</script>"'
check "meshca report (HTML)" "$MESHCA_BIN" report --output "$T_TMP/report.html" --token-file "$T_TMP/admin.tok"
check_fails "the HTML has no script element and fetches nothing" grep -Eq '<script|src=|href=|@import|url\(' "$T_TMP/report.html"

CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
    not_ok "chromium is installed (make deps installs it)"
else
    flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$T_TMP/chromium")
    "$CHROMIUM" "${flags[@]}" --window-size=1280,1600 --screenshot="$T_TMP/report.png" \
        "file://$T_TMP/report.html" >>"$T_LOG" 2>&1
    check "Chromium took a screenshot of the report" test -s "$T_TMP/report.png"
    check "the screenshot is a real image (over 20 KB)" test "$(stat -c %s "$T_TMP/report.png" 2>/dev/null || echo 0)" -gt 20000
    [ -n "${REPORT_SCREENSHOT:-}" ] && cp "$T_TMP/report.png" "$REPORT_SCREENSHOT"
    dom=$("$CHROMIUM" "${flags[@]}" --dump-dom "file://$T_TMP/report.html" 2>>"$T_LOG")
    text=$(echo "$dom" | sed 's/<[^>]*>/ /g')
    size=$(jq -r .integrity.log_size "$T_TMP/report.json")
    check_match "the page shows the integrity line (the signed checkpoint)" "$text" "Ledger integrity: signed checkpoint of $size entries, root [A-Za-z0-9+/]{43}=, signature verified with the log key"
    check_match "the page shows the totals" "$dom" '<td id="t-certs">4</td>'
    check_match "the page names the principals" "$text" 'payments/api .*payments/worker|payments/worker .*payments/api'
    check_match "the page lists the denial's reason" "$text" 'principal payments/db is not granted'
    check_match "the page shows the revocation" "$text" 'left the team'
    check_match "a hostile reason is shown as text" "$text" '&lt;script&gt;alert\(1\)&lt;/script&gt;'
    check_fails "and never becomes a script element" grep -q '<script>alert' <<<"$dom"
fi

# Tampering is caught: edit, delete, reorder (each on a copy of the ledger).
# Every record in the log first (the integrator runs every 50 ms here).
for i in $(seq 200); do
    [ "$(psql_admin -c "SELECT (SELECT count(*) FROM log_leaves) = (SELECT count(*) FROM certificates) + (SELECT count(*) FROM denials) + (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM revocations)")" = t ] && break
    sleep 0.05
done
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
tamper() {  # name sql expect-regex
    psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c "CREATE DATABASE t_$1 TEMPLATE meshca" >>"$T_LOG" 2>&1
    psql -X -q -v ON_ERROR_STOP=1 "${PG_URL%/meshca}/t_$1" \
        -c "SET session_replication_role = replica; $2" >>"$T_LOG" 2>&1
    jq ".database = \"${PG_URL%/meshca}/t_$1\"" "$T_TMP/meshcad.json" >"$T_TMP/t_$1.json"
    out=$("$MESHCAD_BIN" ledger verify --config "$T_TMP/t_$1.json" 2>&1); rc=$?
    echo "$out" >>"$T_LOG"
    check_eq "ledger verify fails after the $1" "$rc" 1
    check_match "and names the record ($1)" "$out" "$3"
}
check "the untouched ledger verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
tamper edit "UPDATE certificates SET reason = 'routine' WHERE seq = (SELECT min(seq) + 1 FROM certificates)" 'record [0-9]+ \(certificate serial [0-9]+\): its reason differs from its entry'
tamper delete "DELETE FROM certificates WHERE seq = (SELECT min(seq) + 1 FROM certificates)" 'log entry [0-9]+: its record \(seq [0-9]+\) was deleted'
a=$(psql_admin -c "SELECT min(seq) FROM certificates")
b=$(psql_admin -c "SELECT min(seq) FROM certificates WHERE seq > $a")
tamper reorder "UPDATE certificates SET seq = -1 WHERE seq = $a; UPDATE certificates SET seq = $a WHERE seq = $b; UPDATE certificates SET seq = $b WHERE seq = -1" "record ($a|$b) \(certificate serial [0-9]+\): not the entry the log holds at this index"
