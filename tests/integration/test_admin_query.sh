#!/usr/bin/env bash
# GET /v1/certificates and /v1/report query parameters (issue #13): values
# that overflow their parsers answer 400 naming the parameter (they used to
# reach the database and answer 503 "ledger cannot be read"), and the CSV
# export keeps every principal of a certificate, however long the list
# (principals were packed into a fixed 2,048-byte buffer and cut silently).
# GET /v1/who and GET /v1/report agree on which certificates a revocation
# covers: a subject revocation covers the certificates issued up to it (or
# to its block_until), not the ones the person got afterwards.  meshca who's
# text shows what a host reported (account, address) with terminal control
# characters escaped, as the HTML report replaces them.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

# One role granting 12 principals of 200 characters: 2,400+ bytes joined.
long=()
for i in $(seq -w 1 12); do long+=("\"svc/$(printf 'p%.0s' $(seq 190))-$i\""); done
stack_init "{ \"admins\": { \"groups\": [\"meshca-admins\"] },
  \"roles\": [ { \"name\": \"many\", \"match\": { \"groups\": [\"bench\"] },
                 \"principals\": [$(IFS=,; echo "${long[*]}")] },
               { \"name\": \"ops\", \"match\": { \"groups\": [\"ops\"] },
                 \"principals\": [\"ops/db\"] } ] }"
# A host token, so the test can report a login as a host does.
(umask 077 && head -c 24 /dev/urandom | base64 >"$T_TMP/web-1.token")
printf 'web-1 sha256:%s\n' "$(tr -d '\n' <"$T_TMP/web-1.token" | sha256sum | cut -d' ' -f1)" \
    >"$T_TMP/host-tokens"
stack_config_extra '{"logins": {"host_tokens": "host-tokens"}}'
stack_start
mint_token "$(claims_for carol '["meshca-admins"]')" >"$T_TMP/admin.tok"
admin_get() {
    HTTP_STATUS=$(curl -sS -o "$T_TMP/resp" -w '%{http_code}' \
        -H "Authorization: Bearer $(cat "$T_TMP/admin.tok")" "$MESHCAD_URL$1" 2>>"$T_LOG")
    HTTP_BODY=$(cat "$T_TMP/resp")
    echo "GET $1 -> $HTTP_STATUS $HTTP_BODY" | cut -c1-400 >>"$T_LOG"
}

issue "$(token 1)" "{\"public_key\":\"$(user_key k1)\"}"
check_eq "a certificate with 12 long principals is issued" "$HTTP_STATUS" 201
check_eq "it carries all 12" "$(echo "$HTTP_BODY" | jq '.principals | length')" 12

for q in "after=-1" "after=99999999999999999999" "after=9223372036854775808" "after=1x"; do
    admin_get "/v1/certificates?$q"
    check_eq "$q: 400, not 503" "$HTTP_STATUS" 400
    check_match "$q: the message names after" "$HTTP_BODY" '"message":"after: '
done
for q in "since=99999999999999999999" "since=-1" "until=99999999999999999999" \
         "since=10000-01-01T00:00:00Z"; do
    for path in /v1/certificates /v1/report /v1/anomalies; do
        admin_get "$path?$q"
        check_eq "$path?$q: 400, not 503" "$HTTP_STATUS" 400
        check_match "$path?$q: the message names ${q%%=*}" "$HTTP_BODY" "\"message\":\"${q%%=*}: "
    done
done
admin_get "/v1/certificates?limit=-5"
check_eq "limit=-5: 400" "$HTTP_STATUS" 400
check_match "limit=-5: the message names limit" "$HTTP_BODY" '"message":"limit: '
admin_get "/v1/certificates?after=0&since=0&until=253402300799&limit=5"
check_eq "in-range values still work" "$(echo "$HTTP_BODY" | jq .count)" 1

admin_get "/v1/certificates?format=csv"
check_eq "CSV: 200" "$HTTP_STATUS" 200
row=$(echo "$HTTP_BODY" | sed -n 2p)
for i in 01 06 12; do
    check_match "CSV: principal $i of 12 is in the row" "$row" "svc/p{190}-$i( |\")"
done
check_eq "CSV: the principals cell holds all 12, space separated" \
    "$(echo "$row" | grep -o 'svc/p*-[0-9]*' | wc -l)" 12

# who and the report on a subject revocation: dave's first certificate is
# revoked with his subject; the one he got after it is not.
issue "$(mint_token "$(claims_for dave '["ops"]')")" "{\"public_key\":\"$(user_key d1)\"}"
check_eq "dave's first certificate is issued" "$HTTP_STATUS" 201
d1=$(echo "$HTTP_BODY" | jq -r .serial)
issue "$(cat "$T_TMP/admin.tok")" '{"subject":"dave","reason":"laptop lost"}' /v1/revocations
check_eq "dave's subject is revoked (201)" "$HTTP_STATUS" 201
sleep 1.1
issue "$(mint_token "$(claims_for dave '["ops"]')")" "{\"public_key\":\"$(user_key d2)\"}"
check_eq "dave gets a new certificate after the revocation" "$HTTP_STATUS" 201
d2=$(echo "$HTTP_BODY" | jq -r .serial)
sleep 1.1
admin_get "/v1/report?since=1h"
rep=$HTTP_BODY
check_eq "report: the first certificate is revoked, the second is not" \
    "$(echo "$rep" | jq -c --arg a "$d1" --arg b "$d2" \
        '[.access[] | select(.serial == $a or .serial == $b) | [.serial == $a, .revoked]]')" \
    '[[true,true],[false,false]]'
admin_get "/v1/who?principal=ops/db&at=$(date +%s)"
check_eq "who: both name ops/db and are valid now" "$(echo "$HTTP_BODY" | jq '.could | length')" 2
for s in "$d1" "$d2"; do
    check_eq "who marks serial $s revoked as the report does" \
        "$(echo "$HTTP_BODY" | jq --arg s "$s" '.could[] | select(.serial == $s) | .revoked')" \
        "$(echo "$rep" | jq --arg s "$s" '.access[] | select(.serial == $s) | .revoked')"
done

# A host reports a login with dave's second certificate whose account and
# address carry terminal control sequences (a title change, a screen clear,
# a C1 CSI): meshca who shows them escaped, never sends them to the terminal.
cafp=$(psql_admin -c "SELECT ca_fingerprint FROM certificates WHERE serial = $d2")
body=$(jq -cn --arg s "$d2" --arg ca "$cafp" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '{logins: [{line_id: "esc-1", at: $at, account: "app\u001b]0;owned\u0007\u001b[2J",
      source_address: "10.0.0.1\u009b31m", source_port: 40000, result: "accepted", serial: $s,
      key_id: "dave", key_fingerprint: "SHA256:x", ca_fingerprint: $ca}]}')
check_eq "the host reports the login (200)" "$(curl -sS -o "$T_TMP/resp" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $(cat "$T_TMP/web-1.token")" -H 'Content-Type: application/json' \
    --data-binary "$body" "$MESHCAD_URL/v1/logins")" 200
out=$(MESHCA_SERVER=$MESHCAD_URL "$MESHCA_BIN" who --principal ops/db --at now \
    --token-file "$T_TMP/admin.tok" 2>&1); rc=$?
echo "$out" | od -c | head -40 >>"$T_LOG"
check_eq "meshca who answers (exit 0)" "$rc" 0
check_match "who did: the reported login" "$out" 'Did \(logins within 1h\): 1'
check_eq "no control character reaches the terminal" \
    "$(printf '%s' "$out" | LC_ALL=C tr -d '\n' | LC_ALL=C grep -c '[[:cntrl:]]')" 0
check_eq "nor a C1 control (U+009B, CSI)" "$(printf '%s' "$out" | grep -c $'\xc2\x9b')" 0
check_match "the account is shown escaped" "$out" 'app\\x1b\]0;owned\\x07\\x1b\[2J@web-1'
check_match "and the address" "$out" 'from 10\.0\.0\.1\\xc2\\x9b31m'
out=$(MESHCA_SERVER=$MESHCAD_URL "$MESHCA_BIN" who --principal ops/db --at now --json \
    --token-file "$T_TMP/admin.tok" 2>&1)
check_eq "--json keeps the account as reported" "$(echo "$out" | jq -r '.did[0].account')" \
    "$(printf 'app\033]0;owned\007\033[2J')"

# meshcad sends at most 10,000 certificates (and 2,000 valid ones) per
# report while the totals count the whole period: with more, the HTML's
# heading, meshca report's summary line and a warning say how many of how
# many, as the totals do, instead of the rows' count alone.
psql_admin -c "INSERT INTO certificates (serial, key_id, subject, issuer, email, role,
  principals, key_type, key_fingerprint, valid_after, valid_before, critical_options,
  extensions, ca_fingerprint, client_address, request_id, policy_version, token_id,
  certificate, created_at)
SELECT 7000000 + n, 'bulk-' || n, 'bulk-' || n, 'https://idp.bulk.invalid',
  'bulk-' || n || '@example.com', 'ops', ARRAY['ops/db'], 'ssh-ed25519', 'SHA256:b' || n,
  now() - interval '10 minutes', now() + interval '1 hour', '{}', '{permit-pty}',
  'SHA256:bulkca', '10.0.0.1', 'req' || n, 'v1', 'tok' || n, 'cert',
  now() - interval '10 minutes'
FROM generate_series(1, 10000) n" >>"$T_LOG" 2>&1
total=$(psql_admin -c "SELECT count(*) FROM certificates WHERE created_at > now() - interval '1 hour'")
check_eq "the period holds more certificates than a report lists" "$(( total > 10000 ))" 1
out=$(MESHCA_SERVER=$MESHCAD_URL "$MESHCA_BIN" report --since 1h --format csv \
    --output "$T_TMP/bulk.csv" --token-file "$T_TMP/admin.tok" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "meshca report --format csv: exit 0" "$rc" 0
check_eq "the CSV holds the 10,000 rows meshcad sent" "$(( $(wc -l <"$T_TMP/bulk.csv") - 1 ))" 10000
check_match "the summary says 10000 of $total" "$out" "wrote .*bulk\\.csv \\(10000 of $total certificates\\)"
check_match "a warning says the rows were cut" "$out" \
    "WARNING: the report lists 10000 of the period's $total certificates issued"
check_match "and the valid ones" "$out" \
    "WARNING: the report lists 2000 of the period's [0-9]+ certificates valid now"
MESHCA_SERVER=$MESHCAD_URL "$MESHCA_BIN" report --since 1h --output "$T_TMP/bulk.html" \
    --token-file "$T_TMP/admin.tok" >>"$T_LOG" 2>&1
check_match "the HTML heading says 10,000 of the total" "$(grep -o 'Who held access<span class="n">([^)]*)' "$T_TMP/bulk.html")" \
    "\\(10,000 of $(echo "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') certificates\\)"
check_match "and says why" "$(cat "$T_TMP/bulk.html")" 'Only the first 10,000 certificates of the period are listed'
