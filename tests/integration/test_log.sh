#!/usr/bin/env bash
# The ledger as a transparency log: records reach a signed checkpoint; an
# independent verifier (tlogcheck, on Go's sumdb/note and sumdb/tlog) checks
# the checkpoint signature, every tile, every entry bundle, the inclusion and
# consistency proofs meshcad serves; meshca audit keeps state across runs;
# ledger verify and meshca audit catch each tamper (as the database owner and
# as a least-privileged service role).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

TLOGCHECK=$BUILD/tests/tools/tlogcheck

stack_load_start
LOG=$MESHCAD_URL/v1/log
VKEY=$("$MESHCAD_BIN" log vkey --config "$T_TMP/meshcad.json" 2>>"$T_LOG")
check_match "meshcad log vkey prints name+hash+key" "$VKEY" '^meshca\.test/log\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$'

# records_now: every ledger row; log_size: the latest checkpoint's size.
records_now() { psql_admin -c "SELECT (SELECT count(*) FROM certificates) + (SELECT count(*) FROM denials) + (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM revocations)"; }
log_size() { curl -fsS "$LOG/checkpoint" 2>/dev/null | sed -n 2p; }
wait_log() {  # wait_log N: until a checkpoint covers N records (10 s at most)
    local i
    for i in $(seq 200); do
        [ "$(log_size)" = "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

loadgen_run "$MESHCAD_URL" --conns 8 --requests 300 \
    --keys 300 --serials "$T_TMP/serials" --json "$T_TMP/run.json"
check_eq "300 certificates issued" "$(wc -l <"$T_TMP/serials")" 300
n=$(records_now)
check "a signed checkpoint covers all $n records within 10 s" wait_log "$n"
ck=$(curl -fsS "$LOG/checkpoint")
check_eq "the checkpoint's origin line" "$(echo "$ck" | sed -n 1p)" "meshca.test/log"
check_match "the checkpoint carries a signed-note signature line" "$ck" "— meshca.test/log "

serial=$(sed -n 17p "$T_TMP/serials")
check "tlogcheck: signature, tree hash over tiles, every entry bundle, inclusion of a serial" \
    "$TLOGCHECK" verify --url "$LOG" --vkey "$VKEY" --serial "$serial" --save "$T_TMP/go.ckpt"
check "meshca audit: first run keeps the checkpoint" \
    "$MESHCA_BIN" audit --server "$MESHCAD_URL" --vkey "$VKEY" --state "$T_TMP/audit.state" --serial "$serial"
check "the state file holds a checkpoint" grep -q "^meshca.test/log$" "$T_TMP/audit.state"

loadgen_run "$MESHCAD_URL" --conns 8 --requests 300 \
    --keys 300 --serials "$T_TMP/serials2" --json "$T_TMP/run2.json"
n=$(records_now)
check "the log grows to $n" wait_log "$n"
check "tlogcheck: the new checkpoint is consistent with the old (server proof equals Go's)" \
    "$TLOGCHECK" verify --url "$LOG" --vkey "$VKEY" --old "$T_TMP/go.ckpt"
out=$("$MESHCA_BIN" audit --server "$MESHCAD_URL" --vkey "$VKEY" --state "$T_TMP/audit.state" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "meshca audit: second run proves consistency" "$rc" 0
check_match "and says so" "$out" "consistent with the 301 attested before"
check "ledger verify: ok" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
cp "$T_TMP/audit.state" "$T_TMP/before-tamper.state"

# A wrong key is refused.
other=$(cd "$T_TMP" && "$MESHCAD_BIN" keygen --type ed25519 --out other.pem >/dev/null 2>&1 &&
    jq '.ledger.log_key = "other.pem"' meshcad.json >other.json && "$MESHCAD_BIN" log vkey --config other.json)
out=$("$MESHCA_BIN" audit --server "$MESHCAD_URL" --vkey "$other" --state "$T_TMP/x.state" 2>&1); rc=$?
check_eq "audit with another key's vkey: exit 1" "$rc" 1
check_match "and says the signature is not the log's" "$out" "not signed by the log key"

verify_fails() {  # verify_fails LABEL PATTERN
    local out rc
    out=$("$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json" 2>&1); rc=$?
    echo "verify after $1: $out" >>"$T_LOG"
    check_eq "$1: ledger verify exits 1" "$rc" 1
    check_match "$1: and names it" "$out" "$2"
}
audit_fails() {  # audit_fails LABEL [ARGS]
    local out rc label=$1
    shift
    cp "$T_TMP/before-tamper.state" "$T_TMP/t.state"
    out=$("$MESHCA_BIN" audit --server "$MESHCAD_URL" --vkey "$VKEY" --state "$T_TMP/t.state" "$@" 2>&1); rc=$?
    echo "audit after $label: $out" >>"$T_LOG"
    check_eq "$label: meshca audit (checkpoint saved before) exits 1" "$rc" 1
}
owner() { psql_admin -c "SET session_replication_role = replica; $1" >>"$T_LOG" 2>&1; }

# 1. Edit a row's columns (owner): the row no longer matches its entry.
victim=$(sed -n 5p "$T_TMP/serials")
owner "UPDATE certificates SET principals = ARRAY['root'] WHERE serial = $victim"
verify_fails "an edited row" "certificate serial $victim.*principals"
owner "UPDATE certificates SET principals = ARRAY['payments/api', 'payments/worker'] WHERE serial = $victim"
check "the row restored: verify ok again" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"

# 2. Edit a row and its entry together (owner): the MAC gives it away, and
#    the served entry no longer proves into the signed tree.
owner "CREATE TABLE saved AS SELECT entry FROM certificates WHERE serial = $victim;
       UPDATE certificates SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'payments/worker', 'root'), 'UTF8') WHERE serial = $victim"
verify_fails "an edited entry" "certificate serial $victim.*MAC"
audit_fails "an edited entry" --serial "$victim"
owner "UPDATE certificates SET entry = (SELECT entry FROM saved) WHERE serial = $victim; DROP TABLE saved"

# 3. A row inserted without the MAC, as a least-privileged service role that
#    still has TEMP and tries the temp-table trick: the triggers ignore its
#    temp tables (pinned search_path), the row is quarantined, issuance goes on.
psql_admin -c "CREATE ROLE svc LOGIN PASSWORD 'svc'; GRANT USAGE ON SCHEMA public TO svc;
  GRANT SELECT, INSERT ON certificates, denials, policy_versions, revocations TO svc;
  GRANT USAGE ON SEQUENCE ledger_seq TO svc" >>"$T_LOG" 2>&1
SVC_URL="postgresql://svc:svc@127.0.0.1:$PG_PORT/meshca"
forged=4242424242
psql -X -q -v ON_ERROR_STOP=1 "$SVC_URL" >>"$T_LOG" 2>&1 <<SQL
CREATE TEMP TABLE chain_head (id boolean, seq bigint, hash bytea);
CREATE TEMP TABLE log_state (size bigint);
INSERT INTO certificates (serial, key_id, subject, issuer, role, principals, key_type,
  key_fingerprint, valid_after, valid_before, critical_options, extensions, ca_fingerprint,
  client_address, request_id, policy_version, token_id, certificate)
SELECT $forged, key_id, subject, issuer, role, ARRAY['root'], key_type, key_fingerprint,
  valid_after, valid_before, critical_options, extensions, ca_fingerprint, client_address,
  request_id, policy_version, token_id, certificate FROM certificates WHERE serial = $victim;
SQL
check_eq "the service role could insert the forged row" \
    "$(psql_admin -c "SELECT count(*) FROM certificates WHERE serial = $forged")" 1
for i in $(seq 100); do
    [ "$(psql_admin -c 'SELECT count(*) FROM log_quarantine')" = 1 ] && break
    sleep 0.05
done
check_eq "the forged row is quarantined" "$(psql_admin -c 'SELECT count(*) FROM log_quarantine')" 1
check_eq "and never enters the log" \
    "$(psql_admin -c "SELECT count(*) FROM log_leaves l JOIN certificates c USING (seq) WHERE c.serial = $forged")" 0
check_match "/readyz names it" "$(curl -sS "$MESHCAD_URL/readyz")" "quarantined"
check_match "the metric counts it" "$(curl -sS "$MESHCAD_URL/metrics")" "meshca_log_quarantined 1"
check "meshcad logged it at error level" grep -q '"level":"error".*quarantined' "$T_TMP/meshcad.log"
issue "$(token 40)" "{\"public_key\": \"$(user_key q1)\"}"
check_eq "issuance still works (201)" "$HTTP_STATUS" 201
verify_fails "a forged row" "quarantined"
owner "DELETE FROM certificates WHERE serial = $forged; DELETE FROM log_quarantine"
psql_admin -c "REVOKE TEMPORARY ON DATABASE meshca FROM PUBLIC" >>"$T_LOG" 2>&1
out=$(psql -X -q "$SVC_URL" -c "CREATE TEMP TABLE chain_head (id int)" 2>&1)
check_match "with TEMP revoked (README), the service role cannot make temp tables" "$out" "permission denied"

# 4. Delete the log's tail (owner) without re-signing: the checkpoints that
#    covered it remain, so verify names them; the audit's proof of a deleted
#    certificate fails; rolling the checkpoints back too is caught as a rollback.
n=$(records_now)
check "before the tail delete, the log covers every record" wait_log "$n"
check "and verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
cp "$T_TMP/audit.state" "$T_TMP/unused" 2>/dev/null
"$MESHCA_BIN" audit --server "$MESHCAD_URL" --vkey "$VKEY" --state "$T_TMP/before-tamper.state" >>"$T_LOG" 2>&1
size=$(log_size)
tail_serial=$(psql_admin -c "SELECT c.serial FROM certificates c JOIN log_leaves l USING (seq) ORDER BY l.idx DESC LIMIT 1")
kill -STOP "$MESHCAD_PID"
owner "DELETE FROM certificates WHERE seq IN (SELECT seq FROM log_leaves WHERE idx >= $size - 5);
       DELETE FROM log_leaves WHERE idx >= $size - 5"
verify_fails "a deleted tail" "tail was deleted|was deleted"
kill -CONT "$MESHCAD_PID"
audit_fails "a deleted tail (proof of a deleted certificate)" --serial "$tail_serial"
owner "DELETE FROM log_checkpoints WHERE size > $size - 5"
audit_fails "a deleted tail with its checkpoints (rollback)"
