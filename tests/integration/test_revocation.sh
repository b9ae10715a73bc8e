#!/usr/bin/env bash
# Revocation that reaches hosts: an admin revokes by serial, key id, subject
# and public key; the KRL served at /v1/krl (rebuilt from the ledger within a
# second) makes a real sshd refuse each revoked login while others carry on;
# the time from revocation to sshd refusing is measured; ssh-keygen -Q on the
# served KRL agrees with the ledger; non-admins get 403.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

stack_init
stack_config_extra '{"limits": {"rate_per_minute": 0}}'
stack_start
curl -fsS "$MESHCAD_URL/v1/ca-keys" >"$T_TMP/trusted.pub"

# The host side: fetch the KRL, keep it only if ssh-keygen can read it, and
# replace the file atomically (what `meshca krl --output` does).
refresh_krl() {
    curl -fsS -o "$T_TMP/krl.new" "$MESHCAD_URL/v1/krl" &&
        ssh-keygen -Q -f "$T_TMP/krl.new" "$T_TMP/trusted.pub" >/dev/null 2>&1
    case $? in 0|1) mv "$T_TMP/krl.new" "$T_TMP/host.krl" ;; *) return 1 ;; esac
}
for i in $(seq 50); do refresh_krl && break; sleep 0.1; done
check "the host fetched a valid KRL" test -s "$T_TMP/host.krl"
sshd_start "$T_TMP/trusted.pub" "$T_TMP/host.krl"
sshd_principals "$T_USER" payments/api

admin=$(mint_token "$(claims_for carol '["meshca-admins"]')")
get_cert() {  # n -> cert for bench-user-n with key u<n>
    issue "$(token "$1")" "{\"public_key\":\"$(user_key "u$1")\",\"principals\":[\"payments/api\"]}"
    echo "$HTTP_BODY" | jq -r .certificate >"$T_TMP/u$1-cert.pub"
    echo "$HTTP_BODY" | jq -r .serial >"$T_TMP/u$1.serial"
    echo "$HTTP_BODY" | jq -r .key_id >"$T_TMP/u$1.keyid"
}
for n in 1 2 3 4 5; do get_cert $n; done
for n in 1 2 3 4 5; do
    check "user $n can log in before any revocation" ssh_as "$T_TMP/u$n" "$T_TMP/u$n-cert.pub" "$T_USER" true
done

revoke() {  # json
    issue "$admin" "$1" /v1/revocations
}
# Revokes, then polls: refresh the host's KRL and try to log in, until sshd refuses.
cut_off() {  # what n json
    local t0 ms i
    t0=$(date +%s%N)
    revoke "$3"
    check_eq "revoke by $1: 201" "$HTTP_STATUS" 201
    for i in $(seq 100); do
        refresh_krl
        if ! ssh_as "$T_TMP/u$2" "$T_TMP/u$2-cert.pub" "$T_USER" true 2>/dev/null; then
            ms=$(( ($(date +%s%N) - t0) / 1000000 ))
            echo "# revoke by $1 -> sshd refuses: $ms ms"
            ok "revoke by $1 cuts user $2 off ($ms ms)"
            return
        fi
        sleep 0.1
    done
    not_ok "revoke by $1 cuts user $2 off"
}
cut_off serial 1 "{\"serial\":\"$(cat "$T_TMP/u1.serial")\",\"reason\":\"laptop stolen\"}"
cut_off "key id" 2 "{\"key_id\":\"$(cat "$T_TMP/u2.keyid")\",\"reason\":\"left the team\"}"
cut_off subject 3 "{\"subject\":\"bench-user-3\",\"reason\":\"incident\",\"block_until\":\"$(date -u -d '+1 hour' +%FT%TZ)\"}"
cut_off "public key" 4 "{\"public_key\":\"$(cat "$T_TMP/u4.pub")\",\"reason\":\"key leaked\"}"
check "an unrevoked user is unaffected" ssh_as "$T_TMP/u5" "$T_TMP/u5-cert.pub" "$T_USER" true

revoke "{\"serial\":\"$(cat "$T_TMP/u1.serial")\",\"reason\":\"again\"}"
check_eq "revoking again is idempotent (200)" "$HTTP_STATUS" 200
check_match "and says so" "$HTTP_BODY" '"already_revoked":true'

# ssh-keygen -Q on the served KRL agrees with the ledger
curl -fsS -o "$T_TMP/served.krl" "$MESHCAD_URL/v1/krl"
for n in 1 2 3 4 5; do
    ssh-keygen -Q -f "$T_TMP/served.krl" "$T_TMP/u$n-cert.pub" >/dev/null 2>&1; q=$?
    want=1; [ $n = 5 ] && want=0
    check_eq "ssh-keygen -Q on the served KRL, user $n" "$q" "$want"
done
check_eq "the ledger records four revocations" "$(psql_admin -c 'SELECT count(*) FROM revocations')" 4
check_eq "the revocations name who revoked" "$(psql_admin -c "SELECT DISTINCT revoked_by FROM revocations")" "carol@example.com"
check_eq "with one issuer configured, a subject revocation is for that issuer" \
    "$(psql_admin -c "SELECT issuer FROM revocations WHERE kind = 'subject'")" "https://idp.test.invalid"

# Issuance refuses revoked keys and blocked subjects
issue "$(token 10)" "{\"public_key\":\"$(cat "$T_TMP/u4.pub")\"}"
check_eq "a revoked public key cannot get a new certificate" "$HTTP_STATUS" 403
check_match "and is told why" "$HTTP_BODY" 'has been revoked'
issue "$(mint_token "$(claims_for bench-user-3 '["bench"]')")" "{\"public_key\":\"$(user_key u3b)\"}"
check_eq "a blocked subject cannot get a new certificate" "$HTTP_STATUS" 403
check_match "until the block ends" "$HTTP_BODY" 'blocked until'

# ETag and 304
etag=$(curl -fsS -D - -o /dev/null "$MESHCAD_URL/v1/krl" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
check_match "the KRL has an ETag" "$etag" '^W/"[0-9]+-[0-9a-f]+"$'
check_eq "If-None-Match gets 304" "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$MESHCAD_URL/v1/krl")" 304

# Non-admins
issue "$(token 11)" '{"serial":"5","reason":"x"}' /v1/revocations
check_eq "a non-admin gets 403 on POST /v1/revocations" "$HTTP_STATUS" 403
issue "$admin" '{"reason":"x"}' /v1/revocations
check_eq "a revocation without a target: 400" "$HTTP_STATUS" 400
issue "$admin" '{"serial":"5"}' /v1/revocations
check_eq "a revocation without a reason: 400" "$HTTP_STATUS" 400
# A serial is digits only, 1 to 2^63-1 (query_parse_u64, as every other
# serial and number meshcad reads): strtoull took " 5", "+5" and
# "-18446744073709551615", which wraps to 1, and revoked those serials.
u5=$(cat "$T_TMP/u5.serial")
for s in -18446744073709551615 "+$u5" " $u5" "$u5 " 0x5 9223372036854775808 ''; do
    revoke "{\"serial\":\"$s\",\"reason\":\"typo\"}"
    check_eq "serial \"$s\" is refused (400)" "$HTTP_STATUS" 400
done
check_eq "and revoked nothing" "$(psql_admin -c "SELECT count(*) FROM revocations WHERE reason = 'typo'")" 0
sleep 2  # the KRL is rebuilt within a second of a revocation
refresh_krl
check "user 5 can still log in (the host's fresh KRL)" ssh_as "$T_TMP/u5" "$T_TMP/u5-cert.pub" "$T_USER" true
check "the ledger chain verifies" "$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json"
