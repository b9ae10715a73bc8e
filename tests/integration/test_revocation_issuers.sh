#!/usr/bin/env bash
# Subject revocation names the issuer: with two issuers, "alice" at one is not
# "alice" at the other.  Revoking (and blocking) alice at issuer 1 cuts off her
# certificates and new issuance there only; alice at issuer 2 keeps working.
# Without an issuer the API refuses (400) when several are configured;
# `meshca revoke --subject S --issuer URL` does the same from the CLI; a
# revocation from before migration 0003 (issuer NULL) applies at every issuer.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

ISS2=https://idp-two.test.invalid
stack_init
mkdir -p "$T_TMP/idp2"
"$BUILD/tests/bench/loadgen" mint --issuer "$ISS2" --audience meshca --subjects 1 \
    --dir "$T_TMP/idp2" >>"$T_LOG" 2>&1 || bail "minting for the second issuer failed"
stack_config_extra "{\"issuers\": [
    {\"issuer\": \"$STACK_ISSUER\", \"audiences\": [\"meshca\"], \"jwks_file\": \"jwks.json\", \"max_token_age\": \"2h\", \"max_certificates_per_token\": 100},
    {\"issuer\": \"$ISS2\", \"audiences\": [\"meshca\"], \"jwks_file\": \"idp2/jwks.json\", \"max_token_age\": \"2h\", \"max_certificates_per_token\": 100}],
  \"limits\": {\"rate_per_minute\": 0}}"
stack_start
curl -fsS "$MESHCAD_URL/v1/ca-keys" >"$T_TMP/trusted.pub"

tok1() { mint_token "$(claims_for "$1" '["bench"]')"; }
tok2() {
    "$BUILD/tests/bench/loadgen" sign --key "$T_TMP/idp2/signing.pem" \
        "$(claims_for "$1" '["bench"]' "{\"iss\": \"$ISS2\"}")"
}
admin=$(mint_token "$(claims_for carol '["meshca-admins"]')")
echo "$admin" >"$T_TMP/carol.tok"
A1=$(tok1 alice); A2=$(tok2 alice)
# get_cert NAME TOKEN: a certificate in $T_TMP/NAME-cert.pub
get_cert() {
    issue "$2" "{\"public_key\":\"$(user_key "$1")\"}"
    [ "$HTTP_STATUS" = 201 ] || bail "no certificate for $1: $HTTP_STATUS $HTTP_BODY"
    echo "$HTTP_BODY" | jq -r .certificate >"$T_TMP/$1-cert.pub"
}
get_cert a1 "$A1"
get_cert a2 "$A2"
# krl_says NAME: ssh-keygen -Q's exit status for NAME's certificate on the served KRL
krl_says() {
    curl -fsS -o "$T_TMP/krl" "$MESHCAD_URL/v1/krl" || return 255
    ssh-keygen -Q -f "$T_TMP/krl" "$T_TMP/$1-cert.pub" >/dev/null 2>&1
}

# krl_wait_revoked NAME: krl_says NAME until it answers 1 (revoked), for up to
# 10 s; returns its last answer.
krl_wait_revoked() {
    local i q
    for i in $(seq 1 100); do
        krl_says "$1"; q=$?
        [ "$q" = 1 ] && break
        sleep 0.1
    done
    return "$q"
}

# check_krl MSG NAME WANT: the served KRL revokes NAME's certificate (WANT 1,
# waited for as krl_wait_revoked does) or does not (WANT 0).
check_krl() {
    local q
    if [ "$3" = 1 ]; then krl_wait_revoked "$2"; else krl_says "$2"; fi
    q=$?
    check_eq "$1" "$q" "$3"
}

issue "$admin" '{"subject":"alice","reason":"left"}' /v1/revocations
check_eq "two issuers: a subject without an issuer is refused (400)" "$HTTP_STATUS" 400
check_match "and the message says why and lists the issuers" "$HTTP_BODY" "issuer: required.*$ISS2"
issue "$admin" '{"subject":"alice","issuer":"https://nobody.invalid","reason":"x"}' /v1/revocations
check_eq "an issuer that is not configured is refused (400)" "$HTTP_STATUS" 400
issue "$admin" "{\"serial\":\"5\",\"issuer\":\"$STACK_ISSUER\",\"reason\":\"x\"}" /v1/revocations
check_eq "an issuer with a serial is refused (400)" "$HTTP_STATUS" 400
check_eq "nothing was recorded" "$(psql_admin -c 'SELECT count(*) FROM revocations')" 0

issue "$admin" "{\"subject\":\"alice\",\"issuer\":\"$STACK_ISSUER\",\"reason\":\"left\",\"block_until\":\"$(date -u -d '+1 hour' +%FT%TZ)\"}" /v1/revocations
check_eq "revoke alice at issuer 1: 201" "$HTTP_STATUS" 201
check_match "the answer names the issuer" "$HTTP_BODY" "\"issuer\":\"$STACK_ISSUER\""
check_eq "the ledger row carries the issuer" \
    "$(psql_admin -c "SELECT issuer FROM revocations WHERE kind = 'subject'")" "$STACK_ISSUER"
check_krl "alice@issuer1's certificate is revoked by the served KRL" a1 1
check_krl "alice@issuer2's certificate is not" a2 0
issue "$(tok1 alice)" "{\"public_key\":\"$(user_key a1b)\"}"
check_eq "alice@issuer1 is blocked (403)" "$HTTP_STATUS" 403
check_match "and told so" "$HTTP_BODY" 'blocked until'
issue "$(tok2 alice)" "{\"public_key\":\"$(user_key a2b)\"}"
check_eq "alice@issuer2 still gets certificates" "$HTTP_STATUS" 201

# The CLI names the issuer too.
get_cert b2 "$(tok2 bob)"
get_cert b1 "$(tok1 bob)"
out=$(MESHCA_SERVER=$MESHCAD_URL "$MESHCA_BIN" revoke --subject bob --reason "x" \
    --token-file "$T_TMP/carol.tok" 2>&1); rc=$?
check_eq "meshca revoke --subject without --issuer: refused (exit 1)" "$rc" 1
check_match "with the server's reason" "$out" 'issuer: required'
out=$(MESHCA_SERVER=$MESHCAD_URL "$MESHCA_BIN" revoke --subject bob --issuer "$ISS2" \
    --reason "left" --token-file "$T_TMP/carol.tok" 2>&1); rc=$?
check_eq "meshca revoke --subject bob --issuer ISS2: exit 0" "$rc" 0
check_match "says which issuer" "$out" "^revoked: subject bob at $ISS2 "
check_krl "bob@issuer2's certificate is revoked" b2 1
check_krl "bob@issuer1's is not" b1 0

# A subject revocation from before 0003 (issuer NULL) means any issuer.
get_cert d1 "$(tok1 dave)"
get_cert d2 "$(tok2 dave)"
psql_admin -c "INSERT INTO revocations (kind, value, reason, revoked_by, block_until, request_id)
    VALUES ('subject', 'dave', 'old', 'carol@example.com', now() + interval '1 hour', 'legacy')" >>"$T_LOG" 2>&1
check_krl "a legacy subject revocation revokes dave at issuer 2" d2 1
check_krl "and at issuer 1" d1 1
issue "$(tok1 dave)" "{\"public_key\":\"$(user_key d1b)\"}"
check_eq "and blocks dave at issuer 1" "$HTTP_STATUS" 403
issue "$(tok2 dave)" "{\"public_key\":\"$(user_key d2b)\"}"
check_eq "and at issuer 2" "$HTTP_STATUS" 403
# The hand-written stand-in for a pre-0003 row has no MAC: the log keeps it out
# and verify names it (a real pre-0002 row is vouched for by the v1 chain).
out=$("$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "ledger verify flags the hand-inserted revocation (no MAC)" "$rc" 1
check_match "as quarantined, naming it" "$out" "in revocations is quarantined"
