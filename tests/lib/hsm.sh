# SoftHSM 2 for integration tests: source after harness.sh.
#   hsm_init                  a private SoftHSM config and token directory
#                             ($HSM_TOKENS) with one token "meshca"; sets
#                             SOFTHSM2_CONF (exported), HSM_MODULE, HSM_PIN_FILE
#   hsm_keygen TYPE LABEL     meshcad keygen --pkcs11 in that token: the public
#                             key line in $T_TMP/LABEL.pub, its fingerprint in
#                             $T_TMP/LABEL.fp
#   hsm_entry LABEL STATE     a ca_keys entry (JSON) for that key
HSM_MODULE=${HSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
# Under SAN=1: SoftHSM's own leaks are not ours (tests/lib/softhsm.supp);
# full unwinding lets the suppression see frames inside the module.
export LSAN_OPTIONS="suppressions=$MESHCA_TOP/tests/lib/softhsm.supp:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

hsm_init() {
    [ -r "$HSM_MODULE" ] || bail "SoftHSM module $HSM_MODULE missing (apt-get install softhsm2)"
    HSM_TOKENS=$T_TMP/hsm-tokens
    mkdir -p "$HSM_TOKENS"
    SOFTHSM2_CONF=$T_TMP/softhsm2.conf
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
        "$HSM_TOKENS" >"$SOFTHSM2_CONF"
    export SOFTHSM2_CONF
    HSM_PIN_FILE=$T_TMP/hsm.pin
    (umask 077 && echo "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" >"$HSM_PIN_FILE")
    softhsm2-util --init-token --free --label meshca --pin "$(cat "$HSM_PIN_FILE")" \
        --so-pin "so-$(cat "$HSM_PIN_FILE")" >>"$T_LOG" 2>&1 || bail "softhsm2-util --init-token"
}

hsm_keygen() {
    local type=$1 label=$2
    "$MESHCAD_BIN" keygen --type "$type" \
        --pkcs11 "pkcs11:token=meshca;object=$label?module-path=$HSM_MODULE" \
        --pin-file "$HSM_PIN_FILE" >"$T_TMP/keygen.out" 2>"$T_TMP/keygen.err" || {
        cat "$T_TMP/keygen.err" >>"$T_LOG"
        return 1
    }
    cat "$T_TMP/keygen.err" >>"$T_LOG"
    mv "$T_TMP/keygen.out" "$T_TMP/$label.pub"
    sed -n 's/.*(\(SHA256:[^)]*\)).*/\1/p' "$T_TMP/keygen.err" >"$T_TMP/$label.fp"
}

hsm_entry() {
    jq -cn --arg m "$HSM_MODULE" --arg l "$1" --arg p "$HSM_PIN_FILE" --arg s "$2" \
        '{pkcs11: {module: $m, token: "meshca", label: $l, pin_file: $p}, state: $s}'
}
