#!/usr/bin/env bash
# Upgrading a v1 ledger (migration 0001, the hash chain) with data in it:
# migration 0002 verifies the old chain first (a tampered chain makes it fail
# and change nothing), then the v1 records become the log's first entries in
# their old seq order, ledger verify and the independent verifier pass, new
# records follow them, and an edit of a v1 row afterwards is caught.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
# Back to a v1 database: only migration 0001, as a meshcad of that version left it.
psql_admin -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >>"$T_LOG" 2>&1
psql_admin -f "$MESHCA_TOP/migrations/0001_ledger.sql" >>"$T_LOG" 2>&1 || bail "0001 does not apply"
psql_admin -c "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO schema_migrations (version, name) VALUES (1, '0001_ledger.sql')" >>"$T_LOG" 2>&1

# v1 records, chained by 0001's trigger: a policy, three certificates, a
# denial, a revocation (with quotes, a null email and non-ASCII text).
psql_admin >>"$T_LOG" 2>&1 <<'SQL' || bail "cannot write v1 records"
INSERT INTO policy_versions (version, policy, loaded_by) VALUES ('v1-policy', '{"roles": []}', 'old-host');
INSERT INTO certificates (serial, key_id, subject, issuer, email, role, principals, key_type,
    key_fingerprint, valid_after, valid_before, critical_options, extensions, ca_fingerprint,
    client_address, request_id, reason, policy_version, token_id, certificate)
SELECT 1000 + i, 'alice@example.com/oncall/' || i, 'alice', 'https://idp.example.com',
    CASE WHEN i = 2 THEN NULL ELSE 'alice@example.com' END, 'oncall',
    ARRAY['payments/api', 'payments/worker'], 'ssh-ed25519', 'SHA256:key' || i,
    now() - interval '1 minute', now() + interval '10 minutes',
    '{"force-command": "/bin/echo \"hi\""}', ARRAY['permit-pty'], 'SHA256:ca',
    '127.0.0.1', 'req' || i, 'INC-' || i || ' café', 'v1-policy', 'tok' || i, 'ssh-ed25519-cert-v01@openssh.com AAAA' || i
FROM generate_series(1, 3) i;
INSERT INTO denials (subject, issuer, email, requested_principals, reason, client_address, request_id)
VALUES ('mallory', 'https://idp.example.com', NULL, ARRAY['payments/db'], 'principal payments/db is not granted', '10.0.0.9', 'req9');
INSERT INTO revocations (kind, value, reason, revoked_by, request_id)
VALUES ('serial', '1002', 'laptop "lost"', 'carol@example.com', 'req10');
SQL
v1=$(psql_admin -c "SELECT seq FROM chain_head")
check_eq "six v1 records, chained" "$v1" 6

# A tampered v1 chain: the migration refuses and changes nothing.
psql -X -q "$PG_ADMIN_URL" -c "CREATE DATABASE tampered TEMPLATE meshca" >>"$T_LOG" 2>&1
psql -X -q "${PG_URL%/meshca}/tampered" -c "SET session_replication_role = replica;
    UPDATE certificates SET principals = ARRAY['root'] WHERE serial = 1002" >>"$T_LOG" 2>&1
jq ".database = \"${PG_URL%/meshca}/tampered\"" "$T_TMP/meshcad.json" >"$T_TMP/tampered.json"
out=$("$MESHCAD_BIN" migrate --config "$T_TMP/tampered.json" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "migrating a tampered v1 ledger fails" "$rc" 1
check_match "and says which record" "$out" "ledger v1 does not verify: record 3 \(certificates\) was changed"
check_eq "and nothing changed (still at version 1, chain_head still there)" \
    "$(psql -X -At "${PG_URL%/meshca}/tampered" -c "SELECT max(version) FROM schema_migrations; SELECT count(*) FROM chain_head")" "1
1"

# The genuine one upgrades.
check "meshcad migrate upgrades the v1 ledger" "$MESHCAD_BIN" migrate --config "$T_TMP/meshcad.json"
check_eq "the chain is retired: chain_head is gone" \
    "$(psql_admin -c "SELECT count(*) FROM pg_tables WHERE tablename = 'chain_head'")" 0
check_eq "the v1 head is kept" "$(psql_admin -c "SELECT head_seq FROM log_v1")" 6
stack_start
for i in $(seq 200); do
    [ "$(psql_admin -c 'SELECT count(*) FROM log_leaves')" -ge 7 ] && break
    sleep 0.05
done
check_eq "the v1 records are the log's first entries, in their old seq order" \
    "$(psql_admin -c "SELECT string_agg(seq::text, ',' ORDER BY idx) FROM log_leaves WHERE idx < 6")" "1,2,3,4,5,6"
check_eq "their entries are kept with the log (they have no MAC)" \
    "$(psql_admin -c "SELECT count(*) FROM log_leaves WHERE idx < 6 AND entry IS NOT NULL")" 6
check_match "a v1 certificate's entry is canonical JSON with its serial as a string" \
    "$(psql_admin -c "SELECT convert_from(entry, 'UTF8') FROM log_leaves WHERE seq = 3")" \
    '^\{"ca_fingerprint":"SHA256:ca","certificate":"ssh-ed25519-cert-v01@openssh.com AAAA2",.*"email":null,.*"serial":"1002",.*"type":"certificate",.*\}$'
issue "$(token 1)" "{\"public_key\": \"$(user_key k1)\"}"
check_eq "meshcad issues on the upgraded ledger" "$HTTP_STATUS" 201
n=$(psql_admin -c "SELECT (SELECT count(*) FROM certificates) + (SELECT count(*) FROM denials) + (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM revocations)")
for i in $(seq 200); do
    [ "$(curl -fsS "$MESHCAD_URL/v1/log/checkpoint" | sed -n 2p)" = "$n" ] && break
    sleep 0.05
done
check_eq "a checkpoint covers the v1 and the new records ($n)" \
    "$(curl -fsS "$MESHCAD_URL/v1/log/checkpoint" | sed -n 2p)" "$n"
check "ledger verify: ok" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
VKEY=$("$MESHCAD_BIN" log vkey --config "$T_TMP/meshcad.json")
check "tlogcheck verifies the upgraded log" \
    "$BUILD/tests/tools/tlogcheck" verify --url "$MESHCAD_URL/v1/log" --vkey "$VKEY" \
    --serial "$(jq -r .serial <<<"$HTTP_BODY")"

psql_admin -c "SET session_replication_role = replica;
    UPDATE denials SET reason = 'granted' WHERE subject = 'mallory'" >>"$T_LOG" 2>&1
out=$("$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "an edited v1 row after the upgrade: verify exits 1" "$rc" 1
check_match "and names it" "$out" "record 5 \(denial for mallory\): its reason differs"
