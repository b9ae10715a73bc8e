#!/usr/bin/env bash
# CA keys in a PKCS#11 token (SoftHSM 2): `meshcad keygen --pkcs11` makes
# Ed25519, ECDSA P-256/P-384 and RSA keys inside the token that cannot be
# read out; meshcad signs with them (each made active in turn by SIGHUP) and
# the certificates pass `ssh-keygen -L` and a real sshd; a replica whose
# token holds another key than its config expects refuses to start.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/hsm.sh"

hsm_init
types="ed25519 ecdsa-p256 ecdsa-p384 rsa-3072"
for t in $types; do
    check "keygen --pkcs11 makes a $t key in the token" hsm_keygen "$t" "ca-$t"
    check_eq "keygen printed the fingerprint of the key it printed ($t)" \
        "$(ssh-keygen -l -f "$T_TMP/ca-$t.pub" | awk '{print $2}')" "$(cat "$T_TMP/ca-$t.fp")"
done
check_fails "keygen refuses a label already in the token" hsm_keygen ed25519 ca-ed25519
check_fails "keygen refuses a PIN given in the URI" "$MESHCAD_BIN" keygen --pkcs11 \
    "pkcs11:token=meshca;object=x?module-path=$HSM_MODULE&pin-value=1234"

# Not extractable, checked by trying: read its secret attributes, wrap it
# out under a fresh AES key (tests/tools/p11steal, plain PKCS#11 calls).
P11STEAL=$BUILD/tests/tools/p11steal
for t in $types; do
    check "the token refuses to hand out the $t private key" \
        "$P11STEAL" "$HSM_MODULE" meshca "ca-$t" "$HSM_PIN_FILE"
done
p11tool() { pkcs11-tool --module "$HSM_MODULE" --token-label meshca --login \
    --pin "$(cat "$HSM_PIN_FILE")" "$@"; }
p11tool --list-objects --type privkey >"$T_TMP/objects" 2>>"$T_LOG"
check_eq "OpenSC's pkcs11-tool sees every private key as never extractable" \
    "$(grep -c 'never extractable' "$T_TMP/objects")" "4"
check_eq "and allowed to sign only" "$(grep -c 'Usage: *sign$' "$T_TMP/objects")" "4"
# The same attempt does get an extractable key out: the check can fail.
p11tool --keypairgen --key-type EC:prime256v1 --label weak --extractable >>"$T_LOG" 2>&1 ||
    bail "pkcs11-tool --keypairgen"
check_fails "an extractable key (made by pkcs11-tool) is wrapped out" \
    "$P11STEAL" "$HSM_MODULE" meshca weak "$HSM_PIN_FILE"

stack_init
stack_load_config
stack_config_extra "{\"ca_keys\": [$(hsm_entry ca-ed25519 active)]}"
stack_start
cat "$T_TMP"/ca-*.pub >"$T_TMP/trusted"
sshd_start "$T_TMP/trusted"
sshd_principals "$T_USER" payments/api

reloaded() { grep -c '"ca keys reloaded"' "$T_TMP/meshcad.log"; }
reloaded_more() { [ "$(reloaded)" -gt "$1" ]; }
for t in $types; do
    if [ "$t" != ed25519 ]; then
        stack_config_extra "{\"ca_keys\": [$(hsm_entry "ca-$t" active)]}"
        n=$(reloaded)
        kill -HUP "$MESHCAD_PID"
        wait_for 20 reloaded_more "$n" || bail "no reload after SIGHUP"
    fi
    issue "$(token 1)" "{\"public_key\":\"$(user_key "u-$t")\",\"principals\":[\"payments/api\"]}"
    check_eq "meshcad signs through PKCS#11 with the $t key" "$HTTP_STATUS" 201
    jq -r .certificate <<<"$HTTP_BODY" >"$T_TMP/u-$t-cert.pub"
    ssh-keygen -L -f "$T_TMP/u-$t-cert.pub" >"$T_TMP/u-$t.L" 2>&1
    check "ssh-keygen -L verifies the $t-signed certificate and names its CA" \
        grep -qF "Signing CA: $(ssh-keygen -l -f "$T_TMP/ca-$t.pub" | awk '{print $4}' | tr -d '()') $(cat "$T_TMP/ca-$t.fp")" "$T_TMP/u-$t.L"
    check "sshd accepts the $t-signed certificate" ssh_as "$T_TMP/u-$t" "$T_TMP/u-$t-cert.pub" "$T_USER" true
done
check_match "the RSA CA signs with rsa-sha2-512" "$(ssh-keygen -L -f "$T_TMP/u-rsa-3072-cert.pub")" \
    "Signing CA: RSA .* \(using rsa-sha2-512\)"
check "GET /v1/ca-keys serves the token's key" \
    grep -qF "$(cut -d' ' -f1-2 "$T_TMP/ca-rsa-3072.pub")" <(curl -fsS "$MESHCAD_URL/v1/ca-keys")

# The PIN: only from a file its owner alone may read, or the environment.
chmod 644 "$HSM_PIN_FILE"
check_fails "meshcad check refuses a PIN file others may read" \
    "$MESHCAD_BIN" check --config "$T_TMP/meshcad.json"
check_match "and says what to do" "$("$MESHCAD_BIN" check --config "$T_TMP/meshcad.json" 2>&1)" "chmod 600"
chmod 600 "$HSM_PIN_FILE"
entry=$(hsm_entry ca-ed25519 active | jq -c 'del(.pkcs11.pin_file) | .pkcs11.pin_env = "TEST_HSM_PIN"')
stack_config_extra "{\"ca_keys\": [$entry]}"
check "meshcad check takes the PIN from pin_env" \
    env TEST_HSM_PIN="$(cat "$HSM_PIN_FILE")" "$MESHCAD_BIN" check --config "$T_TMP/meshcad.json"
check_fails "a wrong PIN is refused" \
    env TEST_HSM_PIN=000000 "$MESHCAD_BIN" check --config "$T_TMP/meshcad.json"
check_fails "the PIN never reaches meshcad's log" grep -qF "$(cat "$HSM_PIN_FILE")" "$T_TMP/meshcad.log"

# A replica whose token holds another key than the config names.
entry=$(hsm_entry ca-ed25519 active | jq -c --arg fp "$(cat "$T_TMP/ca-ecdsa-p256.fp")" '.fingerprint = $fp')
stack_config_extra "{\"ca_keys\": [$entry]}"
sed "s/127.0.0.1:$MESHCAD_PORT/127.0.0.1:$(free_port)/" "$T_TMP/meshcad.json" >"$T_TMP/wrong.json"
timeout 20 "$MESHCAD_BIN" serve --config "$T_TMP/wrong.json" >"$T_TMP/wrong.err" 2>&1
check_eq "a replica expecting another key than its token holds refuses to start" "$?" 1
check "and names both keys" grep -qF \
    "the key found is $(cat "$T_TMP/ca-ed25519.fp"), not the expected $(cat "$T_TMP/ca-ecdsa-p256.fp")" \
    "$T_TMP/wrong.err"
