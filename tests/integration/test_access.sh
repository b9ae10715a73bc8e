#!/usr/bin/env bash
# Just-in-time access (#17) end to end against the real identity provider
# (ID tokens from its device flow, completed by tests/idp/person.js),
# PostgreSQL, meshcad and a loopback sshd: a request for a role that needs
# approval is answered 202 and nothing is signed; self-approval and a
# non-approver are refused; an approver approves and the requester collects a
# certificate that sshd accepts, exactly once even when two collect at once;
# denial and expiry leave nothing signed; min_approvals 2 needs two distinct
# approvers; break-glass issues at once, is marked in the key id, notifies,
# and needs review until acknowledged; webhooks reach a loopback receiver
# with a valid HMAC signature, wait in the queue while it is down and are
# delivered once each after a restart; everything is in the ledger (and the
# transparency log verifies) and in the report.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/webhooks.sh"

idp_start
# The people: alice requests (and approves the role too, to show she cannot
# approve herself), bob and erin approve, dave only requests, carol is admin.
cat >"$IDP_DIR/accounts.json" <<'JSON'
{ "alice": { "email": "alice@example.com", "groups": ["dev", "leads"], "name": "Alice" },
  "bob": { "email": "bob@example.com", "groups": ["leads"], "name": "Bob" },
  "erin": { "email": "erin@example.com", "groups": ["leads"], "name": "Erin" },
  "dave": { "email": "dave@example.com", "groups": ["dev"], "name": "Dave" },
  "carol": { "email": "carol@example.com", "groups": ["meshca-admins"], "name": "Carol" } }
JSON

stack_init '{ "admins": { "groups": ["meshca-admins"] },
  "roles": [
    { "name": "db", "match": { "groups": ["dev"] }, "principals": ["payments/db"],
      "max_ttl": "10m", "approval": { "approvers": { "groups": ["leads"] } } },
    { "name": "db-two", "match": { "groups": ["dev"] }, "principals": ["payments/db"],
      "max_ttl": "10m",
      "approval": { "approvers": { "groups": ["leads"] }, "min_approvals": 2 } },
    { "name": "db-brief", "match": { "groups": ["dev"] }, "principals": ["payments/db"],
      "approval": { "approvers": { "groups": ["leads"] }, "request_ttl": "1s" } },
    { "name": "glass", "match": { "groups": ["dev"] }, "principals": ["payments/api"],
      "max_ttl": "5m", "break_glass": true } ] }'

stack_config_extra "{\"login\": {\"issuer\": \"$IDP_URL\", \"client_id\": \"meshca\",
  \"scopes\": [\"openid\", \"email\", \"groups\", \"profile\"]}}"
hook_stack_start

field() { jq -r "$1" <<<"$HTTP_BODY"; }
certs() { psql_admin -c "SELECT count(*) FROM certificates"; }

ALICE=$(tok alice)
BOB=$(tok bob)
ERIN=$(tok erin)
DAVE=$(tok dave)
CAROL=$(tok carol)
KEY=$(user_key alice_key)

# --- request, refusals, approval, collection -------------------------------
issue "$ALICE" "{\"public_key\": \"$KEY\", \"role\": \"db\"}"
check_eq "a role that needs approval still needs a reason" "$HTTP_STATUS" 403
issue "$ALICE" "{\"public_key\": \"$KEY\", \"role\": \"db\", \"reason\": \"INC-4412 payments db\"}"
check_eq "POST /v1/certificates for an approval role: 202" "$HTTP_STATUS" 202
RID=$(jq -r .request_id <<<"$HTTP_BODY")
check_eq "the 202 says pending" "$(jq -r .status <<<"$HTTP_BODY")" pending
check_eq "the 202 names the approvers" "$(jq -c .approvers <<<"$HTTP_BODY")" '{"groups":["leads"]}'
check_eq "the request id is 32 hex digits" "$(grep -cE '^[0-9a-f]{32}$' <<<"$RID")" 1
check_eq "nothing was signed for a pending request" "$(certs)" 0
check_eq "the request is in the ledger with the reason and the key" \
    "$(psql_admin -c "SELECT kind, role, reason, key_fingerprint IS NOT NULL FROM access_requests WHERE id = '$RID'")" \
    "approval|db|INC-4412 payments db|t"

issue "$ALICE" "{\"public_key\": \"$KEY\", \"request_id\": \"$RID\"}"
check_eq "collecting before approval: 409" "$HTTP_STATUS" 409
check_match "... saying it is not approved yet" "$HTTP_BODY" 'not approved yet \(0 of 1 approvals\)'

# Explain answers a collection as issuance does (it decided the body without
# the request: "denied: role db requires a reason" before approval and
# after, while collecting answered 409, then a certificate for payments/db).
api POST /v1/explain "$ALICE" "{\"public_key\": \"$KEY\", \"request_id\": \"$RID\"}"
check_eq "explaining a collection before approval: 409, as collecting" "$HTTP_STATUS" 409
check_match "... saying it is not approved yet" "$HTTP_BODY" 'not approved yet \(0 of 1 approvals\)'
api POST "/v1/access-requests/$RID/approve" "$ALICE" '{"reason": "looks fine"}'
check_eq "self-approval is refused (403)" "$HTTP_STATUS" 403
check_match "... saying why" "$HTTP_BODY" 'cannot approve your own request'
api POST "/v1/access-requests/$RID/approve" "$DAVE" '{"reason": "sure"}'
check_eq "approval by a non-approver is refused (403)" "$HTTP_STATUS" 403
api POST "/v1/access-requests/$RID/approve" "$BOB" '{}'
check_eq "an approval without a reason is refused (400)" "$HTTP_STATUS" 400

api GET /v1/access-requests "$BOB"
check_eq "the approver's queue lists the request" "$(field "[.requests[].id] | index(\"$RID\") != null")" true
api GET /v1/access-requests "$DAVE"
check_eq "someone else's queue does not" "$(field '.requests | length')" 0
api GET /v1/access-requests "$ALICE"
check_eq "the requester sees her own request" "$(field ".requests[] | select(.id == \"$RID\") | .status")" pending

api POST "/v1/access-requests/$RID/approve" "$BOB" '{"reason": "INC-4412 is real"}'
check_eq "the approver approves (200)" "$HTTP_STATUS" 200
check_eq "... and the request is approved" "$(field .status)" approved
api POST "/v1/access-requests/$RID/deny" "$ERIN" '{"reason": "too late"}'
check_eq "an approved request cannot be denied any more (409)" "$HTTP_STATUS" 409

api POST /v1/explain "$ALICE" "{\"public_key\": \"$KEY\", \"request_id\": \"$RID\"}"
check_eq "explaining the approved collection: granted the request as made" \
    "$(jq -c '[.decision, .role, .principals]' <<<"$HTTP_BODY")" '["granted","db",["payments/db"]]'
api POST /v1/explain "$ALICE" "{\"request_id\": \"$RID\"}"
check_eq "explaining a collection without the key: 400" "$HTTP_STATUS" 400
OTHER=$(user_key other_key)
issue "$ALICE" "{\"public_key\": \"$OTHER\", \"request_id\": \"$RID\"}"
check_eq "collecting with another key is refused (403)" "$HTTP_STATUS" 403
issue "$DAVE" "{\"public_key\": \"$KEY\", \"request_id\": \"$RID\"}"
check_eq "someone else cannot collect it (403)" "$HTTP_STATUS" 403

# Two collections at once, with two fresh tokens: exactly one certificate.
T1=$(tok alice)
T2=$(tok alice)
collect_bg() {  # N TOKEN
    curl -sS -o "$T_TMP/collect$1" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"public_key\": \"$KEY\", \"request_id\": \"$RID\"}" \
        "$MESHCAD_URL/v1/certificates" >"$T_TMP/collect$1.code" 2>>"$T_LOG"
}
collect_bg 1 "$T1" & c1=$!
collect_bg 2 "$T2" & c2=$!
wait "$c1" "$c2"
codes=$(printf '%s\n' "$(cat "$T_TMP/collect1.code")" "$(cat "$T_TMP/collect2.code")" | sort | paste -sd' ')
cat "$T_TMP/collect1" "$T_TMP/collect2" >>"$T_LOG"
check_eq "two parallel collections: one 201, one 409" "$codes" "201 409"
good=1; [ "$(cat "$T_TMP/collect1.code")" = 201 ] || good=2
jq -r .certificate "$T_TMP/collect$good" >"$T_TMP/alice_key-cert.pub"
check_eq "the certificate's key id names the request" \
    "$(jq -r .key_id "$T_TMP/collect$good")" "alice@example.com/db/ar-$RID"
check_match "ssh-keygen reads it: principal and key id" \
    "$(ssh-keygen -L -f "$T_TMP/alice_key-cert.pub")" "ar-$RID.*payments/db"
check_eq "exactly one certificate in the ledger" "$(certs)" 1
issue "$(tok alice)" "{\"public_key\": \"$KEY\", \"request_id\": \"$RID\"}"
check_eq "collecting again: 409" "$HTTP_STATUS" 409
check_match "... saying it was collected" "$HTTP_BODY" 'already collected'

"$MESHCA_BIN" ca-keys --server "$MESHCAD_URL" --output "$T_TMP/trusted.pub" >>"$T_LOG" 2>&1
sshd_start "$T_TMP/trusted.pub"
sshd_principals "$T_USER" payments/db
out=$(ssh_as "$T_TMP/alice_key" "$T_TMP/alice_key-cert.pub" "$T_USER" echo granted 2>>"$T_LOG")
check_eq "sshd accepts the collected certificate" "$out" granted

# --- denial ----------------------------------------------------------------
issue "$DAVE" "{\"public_key\": \"$KEY\", \"role\": \"db\", \"reason\": \"curious\"}"
DID=$(jq -r .request_id <<<"$HTTP_BODY")
api POST "/v1/access-requests/$DID/deny" "$ERIN" '{"reason": "no incident open"}'
check_eq "an approver denies (200)" "$(field .status)" denied
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"request_id\": \"$DID\"}"
check_eq "a denied request cannot be collected (409)" "$HTTP_STATUS" 409
check_match "... saying who denied it and why" "$HTTP_BODY" 'denied by erin@example.com .*no incident open'
api POST "/v1/access-requests/$DID/approve" "$BOB" '{"reason": "overrule"}'
check_eq "a denied request cannot be approved (409)" "$HTTP_STATUS" 409

# --- expiry ----------------------------------------------------------------
issue "$DAVE" "{\"public_key\": \"$KEY\", \"role\": \"db-brief\", \"reason\": \"quick look\"}"
EID=$(jq -r .request_id <<<"$HTTP_BODY")
expired() { api GET "/v1/access-requests/$EID" "$DAVE"; [ "$(field .status)" = expired ]; }
check "a request not approved within request_ttl expires" wait_for 10 expired
api POST "/v1/access-requests/$EID/approve" "$BOB" '{"reason": "late"}'
check_eq "an expired request cannot be approved (410)" "$HTTP_STATUS" 410
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"request_id\": \"$EID\"}"
check_eq "an expired request cannot be collected (410)" "$HTTP_STATUS" 410
check_eq "denial and expiry signed nothing" "$(certs)" 1

# --- two approvers ---------------------------------------------------------
issue "$DAVE" "{\"public_key\": \"$KEY\", \"role\": \"db-two\", \"reason\": \"INC-4413\"}"
TID=$(jq -r .request_id <<<"$HTTP_BODY")
api POST "/v1/access-requests/$TID/approve" "$BOB" '{"reason": "ok"}'
check_eq "after one of two approvals: still pending" "$(field .status)" pending
api POST "/v1/access-requests/$TID/approve" "$BOB" '{"reason": "ok again"}'
check_eq "the same approver twice: 409" "$HTTP_STATUS" 409
check_match "... asking for distinct approvers" "$HTTP_BODY" 'distinct approvers'
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"request_id\": \"$TID\"}"
check_eq "one approval of two cannot be collected" "$HTTP_STATUS" 409
api POST "/v1/access-requests/$TID/approve" "$ALICE" '{"reason": "fine"}'
check_eq "a second, distinct approver approves it" "$(field .status)" approved
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"request_id\": \"$TID\"}"
check_eq "two approvals: collected (201)" "$HTTP_STATUS" 201

# --- break-glass -----------------------------------------------------------
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"role\": \"glass\"}"
check_eq "break-glass still needs a reason" "$HTTP_STATUS" 403
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"role\": \"glass\", \"reason\": \"prod down, nobody answers\"}"
check_eq "break-glass issues at once (201)" "$HTTP_STATUS" 201
BID=$(jq -r .access_request <<<"$HTTP_BODY")
check_eq "its key id says break-glass" "$(jq -r .key_id <<<"$HTTP_BODY")" \
    "dave@example.com/glass/break-glass/ar-$BID"
check_eq "its answer says break-glass" "$(jq -r .break_glass <<<"$HTTP_BODY")" true
api GET "/v1/access-requests/$BID" "$CAROL"
check_eq "it needs review" "$(field .status)" needs_review
api POST "/v1/access-requests/$BID/acknowledge" "$DAVE" '{"reason": "it was me"}'
check_eq "its user cannot acknowledge it (403)" "$HTTP_STATUS" 403
api POST "/v1/access-requests/$BID/acknowledge" "$CAROL" '{"reason": "reviewed INC-4414"}'
check_eq "an admin acknowledges it" "$(field .status)" acknowledged

# --- webhooks --------------------------------------------------------------
hook_has() { [ "$(jq -s "[.[] | select(.event == \"$1\")] | length" "$HOOK_OUT")" -ge "$2" ]; }
check "request.created reached the receiver (json and slack)" wait_for 10 hook_has request.created 8
check "break_glass.used reached the receiver" wait_for 10 hook_has break_glass.used 2
check "request.approved reached the receiver" wait_for 10 hook_has request.approved 2
check "request.denied reached the receiver" wait_for 10 hook_has request.denied 1
check "every delivery carries a valid HMAC-SHA256 signature (openssl)" sigs_ok
check_eq "the json body names the event and the request" \
    "$(jq -s -r "[.[] | select(.event == \"break_glass.used\") | .body | fromjson | select(.request) | .request.id] | first" "$HOOK_OUT")" "$BID"
check_match "the slack text names who, what, why and the approve command" \
    "$(jq -s -r "[.[] | select(.event == \"request.created\") | .body | fromjson | select(.text) | .text] | first" "$HOOK_OUT")" \
    "alice@example.com requests role db \\(payments/db\\).*INC-4412.*meshca approve $RID"

# The receiver goes down: events wait in the queue, through a restart.
kill "$HOOK_PID"; wait "$HOOK_PID" 2>/dev/null
before=$(wc -l <"$HOOK_OUT")
issue "$(tok dave)" "{\"public_key\": \"$KEY\", \"role\": \"glass\", \"reason\": \"again down\"}"
B2=$(jq -r .access_request <<<"$HTTP_BODY")
check_eq "break-glass issues while the receiver is down" "$HTTP_STATUS" 201
pending() { [ "$(psql_admin -c "SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL")" -ge 2 ]; }
check "the notifications wait in the queue" wait_for 10 pending
check "the metrics show them pending" wait_for 10 metric_at_least "$MESHCAD_URL" meshca_webhook_pending 2
check "and the failed attempts" metric_at_least "$MESHCAD_URL" meshca_webhook_attempt_failures_total 1
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
hook_start
check_eq "nothing reached the receiver while it was down" "$(wc -l <"$HOOK_OUT")" "$before"
stack_start
delivered() { [ "$(psql_admin -c "SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL")" = 0 ]; }
check "after the restart every queued notification is delivered" wait_for 20 delivered
check_eq "the break-glass use is among them" \
    "$(jq -s -r "[.[] | select(.event == \"break_glass.used\") | .body | fromjson | select(.request) | .request.id] | last" "$HOOK_OUT")" "$B2"
check_eq "request.approved fired once per approved request (2), not per approval (3)" \
    "$(jq -s '[.[] | select(.event == "request.approved")] | length' "$HOOK_OUT")" 2
check_eq "each delivery arrived once" \
    "$(jq -s '[.[].delivery] | (length == (unique | length))' "$HOOK_OUT")" true
check_eq "and each queued notification arrived" \
    "$(jq -s 'length' "$HOOK_OUT")" "$(psql_admin -c "SELECT count(*) FROM webhook_deliveries")"
check "metrics: delivered" metric_at_least "$MESHCAD_URL" meshca_webhook_deliveries_total 2
if command -v promtool >/dev/null 2>&1; then
    curl -fsS "$MESHCAD_URL/metrics" | grep meshca_webhook >"$T_TMP/hook.prom"
    check "promtool accepts the webhook metrics" promtool check metrics <"$T_TMP/hook.prom"
else
    echo "# skip: promtool is not installed (prometheus package)"
fi

# --- ledger and report -----------------------------------------------------
in_log() {
    [ "$(psql_admin -c "SELECT count(*) FROM log_leaves l JOIN access_requests r USING (seq)")" = \
      "$(psql_admin -c "SELECT count(*) FROM access_requests")" ] &&
    [ "$(psql_admin -c "SELECT count(*) FROM log_leaves l JOIN access_decisions d USING (seq)")" = \
      "$(psql_admin -c "SELECT count(*) FROM access_decisions")" ]
}
check "every request and decision is in the transparency log" wait_for 10 in_log
VKEY=$("$MESHCAD_BIN" log vkey --config "$T_TMP/meshcad.json" 2>>"$T_LOG")
all_checkpointed() {
    [ "$(curl -fsS "$MESHCAD_URL/v1/log/checkpoint" | sed -n 2p)" = \
      "$(psql_admin -c "SELECT count(*) FROM log_leaves")" ]
}
check "a signed checkpoint covers every record" wait_for 10 all_checkpointed
check "tlogcheck (Go's sumdb/note and sumdb/tlog) verifies the log with the access records, and the collected certificate's inclusion" \
    "$BUILD/tests/tools/tlogcheck" verify --url "$MESHCAD_URL/v1/log" --vkey "$VKEY" \
    --serial "$(jq -r .serial "$T_TMP/collect$good")"
check "meshca audit agrees" "$MESHCA_BIN" audit --server "$MESHCAD_URL" --vkey "$VKEY" \
    --state "$T_TMP/audit.state"
check_eq "requests recorded: 6 (5 for approval or break-glass, 1 more break-glass)" "$(psql_admin -c "SELECT count(*) FROM access_requests")" 6
check_eq "decisions recorded: approve, deny, approve twice, acknowledge" \
    "$(psql_admin -c "SELECT string_agg(decision, ',' ORDER BY seq) FROM access_decisions")" \
    "approve,deny,approve,approve,acknowledge"
check_fails "ledger rows are append-only" psql_admin -c "UPDATE access_decisions SET reason = 'x'"
check "meshcad ledger verify: intact, with the access records" \
    "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
api GET "/v1/report" "$CAROL"
check_eq "the report has the access requests" "$(field '.access_requests | length')" 6
check_eq "... with who approved and the time to approval" \
    "$(field ".access_requests[] | select(.id == \"$RID\") | [.status, .approvals[0].email, (.time_to_approval_seconds >= 0)] | join(\",\")")" \
    "collected,bob@example.com,true"
check_eq "... the denial, the expiry and the break-glass review" \
    "$(field "[.access_requests[] | select(.id == \"$DID\" or .id == \"$EID\" or .id == \"$BID\") | .status] | join(\",\")")" \
    "denied,expired,acknowledged"

# --- the client --------------------------------------------------------------
# meshca login for a role that needs approval shows it, waits, then collects
# and installs; the approver's meshca approve logs in interactively itself.
export MESHCA_SERVER=$MESHCAD_URL HOME=$T_TMP/home
mkdir -p "$HOME"
# device_run NAME ACCOUNT WHAT ARGS...: meshca ARGS logging in with the device
# flow, which ACCOUNT completes (checked as WHAT); its output is kept in
# $T_TMP/NAME.out and NAME.err and logged.  Returns meshca's exit code.
device_run() {
    local name=$1 account=$2 what=$3 pid rc
    shift 3
    MESHCA_LOGIN_FLOW=device "$MESHCA_BIN" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" &
    pid=$!
    check "$what" device_person "$T_TMP/$name.err" "$account"
    wait "$pid"; rc=$?
    cat "$T_TMP/$name.out" "$T_TMP/$name.err" >>"$T_LOG"
    return "$rc"
}
"$MESHCA_BIN" login --flow device --files --role db --reason "INC-4415 from the cli" \
    >"$T_TMP/cl.out" 2>"$T_TMP/cl.err" &
cl=$!
check "login: the requester logs in (device flow)" device_person "$T_TMP/cl.err" dave
check "login says approval is needed and who approves" \
    wait_for 20 grep -q 'Approval needed: role db needs 1 approval(s) from {"groups":\["leads"\]}' "$T_TMP/cl.err"
CID=$(sed -n 's/^Request \([0-9a-f]\{32\}\) .*/\1/p' "$T_TMP/cl.err")
check_eq "login names the request id" "$(grep -cE '^[0-9a-f]{32}$' <<<"$CID")" 1
# meshcad restarts while login waits: the request stays pending in the
# ledger, so login keeps asking through the outage, as host-report retries
# a batch and the device flow keeps polling (it gave up at the first failed
# look, and the next login made a new request to approve).
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
check "login says the server is gone and that it keeps waiting" \
    wait_for 10 grep -q 'cannot reach the server: .*; still waiting (the request stays pending)' "$T_TMP/cl.err"
check "login is still waiting" kill -0 "$cl"
stack_start
device_run rq bob "meshca requests logs the approver in interactively" \
    requests
check_eq "meshca requests: exit 0" "$?" 0
check "... and lists the request, pending" grep -q "^$CID  pending .*dave@example.com  role db (payments/db)" "$T_TMP/rq.out"
device_run ap bob "meshca approve logs the approver in interactively" \
    approve "$CID" --reason "ok from the cli"
check_eq "meshca approve: exit 0" "$?" 0
wait "$cl"; rc=$?
cat "$T_TMP/cl.out" "$T_TMP/cl.err" >>"$T_LOG"
check_eq "the waiting login collected and installed: exit 0" "$rc" 0
out=$(ssh_as "$HOME/.ssh/meshca/id_ed25519" "$HOME/.ssh/meshca/id_ed25519-cert.pub" "$T_USER" echo cli 2>>"$T_LOG")
check_eq "sshd accepts the certificate meshca login collected" "$out" cli
check_match "its key id names the request" \
    "$(ssh-keygen -L -f "$HOME/.ssh/meshca/id_ed25519-cert.pub")" "dave@example.com/db/ar-$CID"
"$MESHCA_BIN" deny "$CID" --reason "late" --token-file /dev/null >>"$T_LOG" 2>&1
check_eq "meshca deny without a usable token: a usage error (2)" "$?" 2
echo "$(tok erin)" >"$T_TMP/erin.token"
"$MESHCA_BIN" ack "$B2" --reason "reviewed" --token-file "$T_TMP/erin.token" >"$T_TMP/ack.out" 2>>"$T_LOG"
check_eq "meshca ack by an approver: exit 0" "$?" 0
check "... and the use is acknowledged" grep -q "^$B2  acknowledged" "$T_TMP/ack.out"
device_run rp carol "meshca report logs the admin in interactively" \
    report --format json --output "$T_TMP/report.json"
check_eq "meshca report: exit 0" "$?" 0
check_eq "the report file has the access requests, the cli's collected" \
    "$(jq -r ".access_requests[] | select(.id == \"$CID\") | .status" "$T_TMP/report.json")" collected
echo "$(tok carol)" >"$T_TMP/carol.token"
"$MESHCA_BIN" report --format html --output "$T_TMP/report.html" --token-file "$T_TMP/carol.token" >>"$T_LOG" 2>&1
check_eq "meshca report --format html: exit 0" "$?" 0
check "the html report has the access requests section" grep -q 'id="access-requests"' "$T_TMP/report.html"
check_eq "break-glass uses are rows marked in red (class breakglass)" \
    "$(grep -o '<tr class="breakglass">' "$T_TMP/report.html" | wc -l)" 2
check "an acknowledged one says so, with who acknowledged it" \
    grep -q 'break-glass, acknowledged</td><td class="nw">acknowledged: carol@example.com' "$T_TMP/report.html"

# explain and revoke log in interactively too; a revocation notifies.
device_run ex dave "meshca explain logs in interactively" \
    explain --role db --reason "why not"
check_eq "meshca explain: exit 0 (granted)" "$?" 0
check "... and says the role needs approval, from whom" \
    grep -q 'needs approval: 1 approval(s) from {"groups":\["leads"\]}' "$T_TMP/ex.out"
device_run rv carol "meshca revoke logs the admin in interactively" \
    revoke --key-id "dave@example.com/db/ar-$CID" --reason "INC-4415 closed"
check_eq "meshca revoke: exit 0" "$?" 0
check "revocation.created reached the receiver, signed" wait_for 10 hook_has revocation.created 1
check "... with a valid signature" sigs_ok
check_eq "... naming what was revoked" \
    "$(jq -s -r '[.[] | select(.event == "revocation.created") | .body | fromjson | .revocation.value] | first' "$HOOK_OUT")" \
    "dave@example.com/db/ar-$CID"
