#!/usr/bin/env bash
# The ledger as the webhook outbox (#17): an event whose immediate enqueue
# fails for real (a trigger makes INSERTs into webhook_deliveries fail, as a
# dead or unreachable database would, so the immediate path counts it
# "lost") is queued by the delivery thread's sweep from its ledger record
# once the database takes inserts again, and delivered exactly once with a
# valid HMAC signature: request.created (json and slack), request.approved
# (only for the approval that completed the request), break_glass.used and
# revocation.created.  After a restart with the sweep's cursor reset to the
# start of the ledger, nothing the immediate path or the sweep already
# queued is queued or delivered again.  Real PostgreSQL, meshcad, the test
# identity provider and a loopback receiver (as test_access.sh).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/webhooks.sh"

idp_start
cat >"$IDP_DIR/accounts.json" <<'JSON'
{ "alice": { "email": "alice@example.com", "groups": ["dev"], "name": "Alice" },
  "bob": { "email": "bob@example.com", "groups": ["leads"], "name": "Bob" },
  "erin": { "email": "erin@example.com", "groups": ["leads"], "name": "Erin" },
  "carol": { "email": "carol@example.com", "groups": ["meshca-admins"], "name": "Carol" } }
JSON

stack_init '{ "admins": { "groups": ["meshca-admins"] },
  "roles": [
    { "name": "db", "match": { "groups": ["dev"] }, "principals": ["payments/db"],
      "max_ttl": "10m", "approval": { "approvers": { "groups": ["leads"] } } },
    { "name": "db-two", "match": { "groups": ["dev"] }, "principals": ["payments/db"],
      "max_ttl": "10m",
      "approval": { "approvers": { "groups": ["leads"] }, "min_approvals": 2 } },
    { "name": "glass", "match": { "groups": ["dev"] }, "principals": ["payments/api"],
      "max_ttl": "5m", "break_glass": true } ] }'

hook_stack_start

metric() {  # NAME: its value
    curl -fsS "$MESHCAD_URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
# seen EVENT ID [HOOK]: deliveries of EVENT about request (or revocation
# value) ID, in json, or in slack when HOOK is slack.
seen() {
    if [ "${3:-}" = slack ]; then
        jq -s --arg e "$1" --arg id "$2" '[.[] | select(.event == $e) |
            select(.body | fromjson | .text // "" | contains($id))] | length' "$HOOK_OUT"
    else
        jq -s --arg e "$1" --arg id "$2" '[.[] | select(.event == $e) |
            .body | fromjson | select((.request.id // .revocation.value) == $id)] | length' "$HOOK_OUT"
    fi
}
seen_is() { [ "$(seen "$1" "$2" "${4:-}")" = "$3" ]; }
queued() { psql_admin -c "SELECT count(*) FROM webhook_deliveries"; }

ALICE=$(tok alice)
BOB=$(tok bob)
ERIN=$(tok erin)
CAROL=$(tok carol)
KEY=$(user_key alice_key)

check_eq "meshca_webhook_recovered_total starts at 0" "$(metric meshca_webhook_recovered_total)" 0

# --- the immediate path, working -------------------------------------------
issue "$ALICE" "{\"public_key\": \"$KEY\", \"role\": \"db\", \"reason\": \"INC-1 first\"}"
check_eq "a request (202)" "$HTTP_STATUS" 202
R1=$(jq -r .request_id <<<"$HTTP_BODY")
issue "$ALICE" "{\"public_key\": \"$KEY\", \"role\": \"db-two\", \"reason\": \"INC-2 two approvers\"}"
R2=$(jq -r .request_id <<<"$HTTP_BODY")
api POST "/v1/access-requests/$R2/approve" "$BOB" '{"reason": "one of two"}'
check_eq "the first of two approvals (200)" "$HTTP_STATUS" 200
check "request.created of both reached the receiver (json)" wait_for 10 seen_is request.created "$R2" 1
check "... and slack" wait_for 10 seen_is request.created "$R2" 1 slack
check_eq "every queued row names its ledger record" \
    "$(psql_admin -c "SELECT count(*) FROM webhook_deliveries WHERE record_seq IS NULL")" 0
check_eq "request.created's record is the access request" \
    "$(psql_admin -c "SELECT DISTINCT d.record_seq = r.seq FROM webhook_deliveries d JOIN access_requests r
                      ON d.event = 'request.created' AND d.body LIKE '%' || r.id || '%' WHERE r.id = '$R1'")" t

# --- the immediate path fails for real ---------------------------------------
psql_admin <<'SQL' >>"$T_LOG" 2>&1 || bail "cannot install the blocking trigger"
CREATE TABLE test_block (on_ boolean);
CREATE FUNCTION test_block() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM test_block) THEN
        RAISE EXCEPTION 'test: webhook_deliveries takes no rows now';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_block BEFORE INSERT ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION test_block();
INSERT INTO test_block VALUES (true);
SQL
lost0=$(metric 'meshca_webhook_deliveries_total{result="lost"}')
q0=$(queued)

issue "$ALICE" "{\"public_key\": \"$KEY\", \"role\": \"db\", \"reason\": \"INC-3 while blocked\"}"
check_eq "a request while the queue is blocked (202: issuance never waits on notifications)" "$HTTP_STATUS" 202
R3=$(jq -r .request_id <<<"$HTTP_BODY")
api POST "/v1/access-requests/$R1/approve" "$BOB" '{"reason": "ok INC-1"}'
check_eq "R1 approved while blocked" "$(jq -r .status <<<"$HTTP_BODY")" approved
api POST "/v1/access-requests/$R2/approve" "$ERIN" '{"reason": "two of two"}'
check_eq "R2's second approval completes it while blocked" "$(jq -r .status <<<"$HTTP_BODY")" approved
api POST "/v1/access-requests/$R3/deny" "$ERIN" '{"reason": "no INC-3"}'
check_eq "R3 denied while blocked" "$(jq -r .status <<<"$HTTP_BODY")" denied
issue "$ALICE" "{\"public_key\": \"$KEY\", \"role\": \"glass\", \"reason\": \"prod down while blocked\"}"
check_eq "break-glass issues while blocked (201)" "$HTTP_STATUS" 201
BG=$(jq -r .access_request <<<"$HTTP_BODY")
issue "$CAROL" '{"key_id": "outbox-test-key", "reason": "INC-5 leaked", "force": true}' /v1/revocations
check_eq "a revocation while blocked (201)" "$HTTP_STATUS" 201

# json: created R3, approved R1, approved R2, denied R3, break-glass, revocation;
# slack: created R3, break-glass.
check "the immediate path lost 8 notifications" \
    wait_for 10 metric_at_least "$MESHCAD_URL" 'meshca_webhook_deliveries_total{result="lost"}' $((lost0 + 8))
check_eq "... and queued none" "$(queued)" "$q0"
check_eq "nothing about them reached the receiver" "$(seen request.created "$R3")$(seen break_glass.used "$BG")" 00
check_eq "the sweep cannot queue them while blocked either" "$(metric meshca_webhook_recovered_total)" 0

# --- the database takes rows again: the sweep recovers them -----------------
psql_admin -c "DELETE FROM test_block" >>"$T_LOG" 2>&1
check "request.created of R3 is delivered (json)" wait_for 30 seen_is request.created "$R3" 1
check "... and slack" wait_for 10 seen_is request.created "$R3" 1 slack
check "request.approved of R1 is delivered" wait_for 10 seen_is request.approved "$R1" 1
check "request.approved of R2 (completed by the second approval) is delivered" wait_for 10 seen_is request.approved "$R2" 1
check "request.denied of R3 is delivered" wait_for 10 seen_is request.denied "$R3" 1
check "break_glass.used is delivered (json)" wait_for 10 seen_is break_glass.used "$BG" 1
check "... and slack" wait_for 10 seen_is break_glass.used "$BG" 1 slack
check "revocation.created is delivered" wait_for 10 seen_is revocation.created outbox-test-key 1
check_eq "the sweep recovered exactly the 8 lost ones (meshca_webhook_recovered_total)" \
    "$(metric meshca_webhook_recovered_total)" 8
check_eq "request.approved fired once per completed request: 2, not per approval (3)" \
    "$(jq -s '[.[] | select(.event == "request.approved")] | length' "$HOOK_OUT")" 2
check_eq "the recovered request.created is rendered as the immediate path does (status, approvers, request_id)" \
    "$(jq -s -c --arg id "$R3" '[.[] | select(.event == "request.created") | .body | fromjson |
        select(.request.id == $id) | .request | [.request_id, .status, .approvers, .reason]] | first' "$HOOK_OUT")" \
    "[\"$R3\",\"pending\",{\"groups\":[\"leads\"]},\"INC-3 while blocked\"]"
check_eq "the recovered revocation is rendered as the immediate path does" \
    "$(jq -s -c '[.[] | select(.event == "revocation.created") | .body | fromjson | .revocation] | first' "$HOOK_OUT")" \
    '{"already_revoked":false,"kind":"key_id","reason":"INC-5 leaked","revoked_by":"carol@example.com","value":"outbox-test-key"}'
check_match "the recovered slack text names the approve command" \
    "$(jq -s -r --arg id "$R3" '[.[] | select(.event == "request.created") | .body | fromjson | .text // empty |
        select(contains($id))] | first' "$HOOK_OUT")" "meshca approve $R3"
check "every delivery carries a valid HMAC-SHA256 signature (openssl)" sigs_ok
alldone() { [ "$(psql_admin -c "SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL")" = 0 ]; }
check "every queued notification is delivered" wait_for 20 alldone

# --- a restart with the sweep's cursor back at the start --------------------
kill "$MESHCAD_PID"; wait "$MESHCAD_PID" 2>/dev/null
lines=$(wc -l <"$HOOK_OUT")
q1=$(queued)
psql_admin -c "UPDATE webhook_sweep SET xid = '0', seq = 0" >>"$T_LOG" 2>&1
stack_start
swept() {
    [ "$(psql_admin -c "SELECT bool_and(xid > '0') FROM webhook_sweep")" = t ] &&
    [ "$(psql_admin -c "SELECT count(*) FROM webhook_sweep s WHERE (s.xid, s.seq) <
        (SELECT xid, seq FROM revocations ORDER BY xid DESC, seq DESC LIMIT 1)")" = 0 ]
}
check "the restarted meshcad swept the whole ledger again" wait_for 30 swept
check_eq "... and queued nothing twice (unique per webhook, event and record)" "$(queued)" "$q1"
check_eq "... recovering nothing" "$(metric meshca_webhook_recovered_total)" 0
check_eq "nothing was delivered again" "$(wc -l <"$HOOK_OUT")" "$lines"
check_eq "each event reached each webhook once" \
    "$(jq -s -c '[.[] | [.event, (.body | fromjson | (.request.id // .revocation.value // .text))]] |
        length == (unique | length)' "$HOOK_OUT")" true
check_eq "each queued notification arrived once" "$(jq -s '[.[].delivery] | unique | length' "$HOOK_OUT")" "$q1"

# One more, missed by the immediate path after the restart, is recovered too.
psql_admin -c "INSERT INTO test_block VALUES (true)" >>"$T_LOG" 2>&1
issue "$(tok alice)" "{\"public_key\": \"$KEY\", \"role\": \"db\", \"reason\": \"INC-6 after restart\"}"
R6=$(jq -r .request_id <<<"$HTTP_BODY")
check_eq "a request after the restart, while blocked (202)" "$HTTP_STATUS" 202
psql_admin -c "DELETE FROM test_block" >>"$T_LOG" 2>&1
check "it is delivered by the sweep (json)" wait_for 30 seen_is request.created "$R6" 1
check "... and slack" wait_for 10 seen_is request.created "$R6" 1 slack
check_eq "recovered: 2" "$(metric meshca_webhook_recovered_total)" 2
if command -v promtool >/dev/null 2>&1; then
    curl -fsS "$MESHCAD_URL/metrics" | grep meshca_webhook >"$T_TMP/hook.prom"
    check "promtool accepts the webhook metrics" promtool check metrics <"$T_TMP/hook.prom"
fi
