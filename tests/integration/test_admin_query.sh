#!/usr/bin/env bash
# GET /v1/certificates and /v1/report query parameters (issue #13): values
# that overflow their parsers answer 400 naming the parameter (they used to
# reach the database and answer 503 "ledger cannot be read"), and the CSV
# export keeps every principal of a certificate, however long the list
# (principals were packed into a fixed 2,048-byte buffer and cut silently).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

# One role granting 12 principals of 200 characters: 2,400+ bytes joined.
long=()
for i in $(seq -w 1 12); do long+=("\"svc/$(printf 'p%.0s' $(seq 190))-$i\""); done
stack_init "{ \"admins\": { \"groups\": [\"meshca-admins\"] },
  \"roles\": [ { \"name\": \"many\", \"match\": { \"groups\": [\"bench\"] },
                 \"principals\": [$(IFS=,; echo "${long[*]}")] } ] }"
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
