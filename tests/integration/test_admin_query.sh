#!/usr/bin/env bash
# GET /v1/certificates and /v1/report query parameters (issue #13): values
# that overflow their parsers answer 400 naming the parameter (they used to
# reach the database and answer 503 "ledger cannot be read"), and the CSV
# export keeps every principal of a certificate, however long the list
# (principals were packed into a fixed 2,048-byte buffer and cut silently).
# GET /v1/who and GET /v1/report agree on which certificates a revocation
# covers: a subject revocation covers the certificates issued up to it (or
# to its block_until), not the ones the person got afterwards.
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
    for path in /v1/certificates /v1/report; do
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
