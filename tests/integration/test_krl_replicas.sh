#!/usr/bin/env bash
# Two replicas serving the same KRL version serve the same ETag (issue #13:
# "6-9341..." on one and "6-8b1f..." on the other, because the hash covered
# the KRL's generated_date, which is when each replica built it).  Replica B
# is started over a second after replica A built its KRL, so their
# generated_date differ; their ETags must not, and each answers 304 to the
# other's ETag.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_start
A_URL=$MESHCAD_URL
admin=$(mint_token "$(claims_for carol '["meshca-admins"]')")

issue "$(token 1)" "{\"public_key\":\"$(user_key k1)\"}"
check_eq "a certificate is issued" "$HTTP_STATUS" 201
serial=$(echo "$HTTP_BODY" | jq -r .serial)
issue "$admin" "{\"serial\":\"$serial\",\"reason\":\"test\"}" /v1/revocations
check_eq "it is revoked through replica A" "$HTTP_STATUS" 201

etag_of() { curl -fsS -D - -o "$2" "$1/v1/krl" 2>>"$T_LOG" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p'; }
for ((i = 0; i < 50; i++)); do
    ea=$(etag_of "$A_URL" "$T_TMP/a.krl")
    case "$ea" in *'"0-'*|'') sleep 0.1 ;; *) break ;; esac
done
sleep 1.5

sed "s/127.0.0.1:$MESHCAD_PORT/127.0.0.1:PORT_B/" "$T_TMP/meshcad.json" >"$T_TMP/b.json"
MESHCAD_PORT=$(free_port)
sed -i "s/PORT_B/$MESHCAD_PORT/" "$T_TMP/b.json"
MESHCAD_URL=http://127.0.0.1:$MESHCAD_PORT
meshcad_start "$T_TMP/b.json"
B_URL=$MESHCAD_URL
for ((i = 0; i < 50; i++)); do
    eb=$(etag_of "$B_URL" "$T_TMP/b.krl")
    [ -n "$eb" ] && break
    sleep 0.1
done
ea=$(etag_of "$A_URL" "$T_TMP/a.krl")
echo "A: $ea  B: $eb" >>"$T_LOG"

ga=$(ssh-keygen -Q -l -f "$T_TMP/a.krl" 2>>"$T_LOG" | grep -i 'generated')
gb=$(ssh-keygen -Q -l -f "$T_TMP/b.krl" 2>>"$T_LOG" | grep -i 'generated')
echo "A $ga / B $gb" >>"$T_LOG"
check "both KRLs list the revoked serial" bash -c \
    "ssh-keygen -Q -l -f '$T_TMP/a.krl' | grep -q 'serial: $serial' && ssh-keygen -Q -l -f '$T_TMP/b.krl' | grep -q 'serial: $serial'"
check_fails "the replicas built their KRLs at different times (generated_date differs)" test "$ga" = "$gb"
check_match "the ETag names the version and the contents" "$ea" '^W/"[1-9][0-9]*-[0-9a-f]{24}"$'
check_eq "both replicas serve the same ETag for the same KRL" "$eb" "$ea"
check_eq "replica B answers 304 to replica A's ETag" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ea" "$B_URL/v1/krl")" 304
check_eq "and A to B's" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $eb" "$A_URL/v1/krl")" 304
check_eq "the strong form of the tag matches too (weak comparison)" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: \"x\", ${ea#W/}" "$A_URL/v1/krl")" 304
check_eq "another tag gets the KRL" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: W/"1-000000000000000000000000"' "$A_URL/v1/krl")" 200
