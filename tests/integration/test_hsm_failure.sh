#!/usr/bin/env bash
# A CA key's token going away: issuance answers 503 with nothing signed and
# nothing recorded, /readyz says why, and meshcad reconnects by itself when
# the token is back.  Two ways to lose it: SoftHSM's token directory moved
# away (the slot disappears), and the token replaced by another one of the
# same label holding another key of the same label (meshcad must refuse to
# sign with it, and recover once the right token is back).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/hsm.sh"

hsm_init
hsm_keygen ed25519 ca-hsm || bail "keygen --pkcs11"
stack_init
stack_load_config
stack_config_extra "{\"ca_keys\": [$(hsm_entry ca-hsm active)]}"
stack_start

try_issue() {  # sets HTTP_STATUS, HTTP_BODY
    issue "$(token 1)" "{\"public_key\":\"$(user_key k)\",\"principals\":[\"payments/api\"]}"
}
issued() { psql_admin -c "SELECT count(*) FROM certificates"; }
readyz() { curl -sS -o "$T_TMP/readyz" -w '%{http_code}' "$MESHCAD_URL/readyz"; }
status_is() { [ "$("$@" 2>/dev/null)" = "${WANT}" ]; }

try_issue
check_eq "with the token present a certificate is issued" "$HTTP_STATUS" 201
check_eq "and /readyz is ready" "$(readyz)" 200

for how in "moved away" "replaced"; do
    before=$(issued)
    if [ "$how" = "moved away" ]; then
        mv "$HSM_TOKENS" "$HSM_TOKENS.away"
    else
        mv "$HSM_TOKENS" "$HSM_TOKENS.orig"
        mkdir "$HSM_TOKENS"
        softhsm2-util --init-token --free --label meshca --pin "$(cat "$HSM_PIN_FILE")" \
            --so-pin "so-$(cat "$HSM_PIN_FILE")" >>"$T_LOG" 2>&1 || bail "init-token"
        "$MESHCAD_BIN" keygen --pkcs11 "pkcs11:token=meshca;object=ca-hsm?module-path=$HSM_MODULE" \
            --pin-file "$HSM_PIN_FILE" >>"$T_LOG" 2>&1 || bail "keygen same label"
    fi
    try_issue
    check_eq "token $how: issuance answers 503" "$HTTP_STATUS" 503
    check_match "with a message that names the token" "$HTTP_BODY" '"error":"unavailable".*hardware token'
    check_eq "token $how: nothing was recorded in the ledger" "$(issued)" "$before"
    check_eq "token $how: /readyz answers 503" "$(readyz)" 503
    check_match "and names the token in its ca_key check" "$(jq -r .checks.ca_key "$T_TMP/readyz")" \
        'PKCS#11 token "meshca"'
    if [ "$how" = replaced ]; then
        check_match "and says it holds another key" "$(jq -r .checks.ca_key "$T_TMP/readyz")" \
            'another key labelled "ca-hsm"'
    fi
    check "the metric meshca_ca_key_up is 0" \
        grep -qx 'meshca_ca_key_up 0' <(curl -fsS "$MESHCAD_URL/metrics")
    if [ "$how" = "moved away" ]; then
        mv "$HSM_TOKENS.away" "$HSM_TOKENS"
    else
        rm -rf "$HSM_TOKENS"
        mv "$HSM_TOKENS.orig" "$HSM_TOKENS"
    fi
    WANT=200
    check "token back ($how): /readyz recovers without a restart" wait_for 20 status_is readyz
    try_issue
    check_eq "and issuance works again" "$HTTP_STATUS" 201
    check_eq "and the certificate is in the ledger" "$(issued)" "$((before + 1))"
done
check "meshcad is still the same process" kill -0 "$MESHCAD_PID"
check "its log says why issuance failed" grep -q 'hardware token is unavailable\|CKR_' "$T_TMP/meshcad.log"
