#!/usr/bin/env bash
# SIGHUP re-reads ca_keys: publishing a next key, a rotation (next -> active,
# active -> retired) from a key file to a key in a PKCS#11 token (SoftHSM)
# while a load generator keeps issuing, with no request lost; a key that
# fails to load is refused and the previous set keeps serving.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/hsm.sh"

hsm_init
hsm_keygen ed25519 ca-next || bail "keygen --pkcs11"
stack_load_start
old_fp=$(ssh-keygen -l -f "$T_TMP/ca.pub" | awk '{print $2}')
new_fp=$(cat "$T_TMP/ca-next.fp")
file_entry() { jq -cn --arg s "$1" '{path: "ca.pem", state: $s}'; }
reloads() { grep -c "\"$1\"" "$T_TMP/meshcad.log"; }
# hup MESSAGE: SIGHUP, then wait until MESSAGE was logged once more.
logged_more() { [ "$(reloads "$1")" -gt "$2" ]; }
hup() {
    local n
    n=$(reloads "$1")
    kill -HUP "$MESHCAD_PID"
    wait_for 20 logged_more "$1" "$n"
}
ca_keys() { curl -fsS "$MESHCAD_URL/v1/ca-keys" | awk '{print $3}' | paste -sd' '; }
signer() {  # fingerprint of the CA that signed a fresh certificate
    issue "$(token 2)" "{\"public_key\":\"$(user_key s)\",\"principals\":[\"payments/api\"]}"
    jq -r .certificate <<<"$HTTP_BODY" >"$T_TMP/s-cert.pub"
    ssh-keygen -L -f "$T_TMP/s-cert.pub" | awk '/Signing CA:/ {print $4}'
}

check_eq "before: one active key" "$(ca_keys)" "meshca-ca:active"

# Publish the token's key as next.
stack_config_extra "{\"ca_keys\": [$(file_entry active), $(hsm_entry ca-next next)]}"
check "SIGHUP loads the new set" hup "ca keys reloaded"
check_eq "/v1/ca-keys publishes active and next" "$(ca_keys)" "meshca-ca:active meshca-ca:next"
check "the next key's line is the token's key" \
    grep -qF "$(cut -d' ' -f1-2 "$T_TMP/ca-next.pub")" <(curl -fsS "$MESHCAD_URL/v1/ca-keys")
check_eq "the active key still signs" "$(signer)" "$old_fp"

# A key that fails to load: refused, the previous set keeps serving.
stack_config_extra "{\"ca_keys\": [$(file_entry active), {\"path\": \"missing.pem\", \"state\": \"next\"}]}"
check "a set with a key that does not load is refused" hup "ca keys reload refused; the previous keys keep serving"
check "the refusal names the key and the reason" grep -q 'ca_keys\[1\]: .*missing.pem: No such file' "$T_TMP/meshcad.log"
check_eq "the previous set is still published" "$(ca_keys)" "meshca-ca:active meshca-ca:next"
check_eq "and the active key still signs" "$(signer)" "$old_fp"
stack_config_extra "{\"ca_keys\": [$(file_entry active), $(hsm_entry ca-nonesuch next)]}"
check "a token key that is not there is refused too" hup "ca keys reload refused; the previous keys keep serving"
check "metrics count the refusals" \
    grep -qx 'meshca_ca_key_reloads_total{result="refused"} 2' <(curl -fsS "$MESHCAD_URL/metrics")

# The rotation, under load.
loadgen_run "$MESHCAD_URL" --conns 8 --duration 6 --keys 3000 \
    --serials "$T_TMP/serials" --json "$T_TMP/load.json" &
lg=$!
wait_for 20 metric_at_least "$MESHCAD_URL" meshca_certificates_issued_total 100
stack_config_extra "{\"ca_keys\": [$(file_entry retired), $(hsm_entry ca-next active)]}"
check "SIGHUP under load rotates next -> active, active -> retired" hup "ca keys reloaded"
wait "$lg"
cat "$T_TMP/load.json" >>"$T_LOG"
check_eq "no request under the rotation failed" \
    "$(jq '[.status | to_entries[] | select(.key != "201") | .value] | add // 0' "$T_TMP/load.json")" 0
check_eq "no connection was dropped" "$(jq .connection_errors "$T_TMP/load.json")" 0
check_eq "every returned certificate is in the ledger" "$(returned_missing)" 0
check "certificates were returned under the load ($(wc -l <"$T_TMP/returned"))" \
    test "$(wc -l <"$T_TMP/returned")" -gt 100
cas=$(psql_admin -c "SELECT ca_fingerprint, count(*) FROM certificates GROUP BY 1 ORDER BY 1")
echo "$cas" >>"$T_LOG"
check "the ledger holds certificates of the old key" grep -qF "$old_fp|" <<<"$cas"
check "and of the new key in the token" grep -qF "$new_fp|" <<<"$cas"
check_eq "after: the token's key signs" "$(signer)" "$new_fp"
check_eq "/v1/ca-keys publishes active then retired" "$(ca_keys)" "meshca-ca:active meshca-ca:retired"
check_eq "/v1/config names both keys" \
    "$(curl -fsS "$MESHCAD_URL/v1/config" | jq -r '.ca_fingerprints | sort | join(" ")')" \
    "$(printf '%s\n' "$old_fp" "$new_fp" | sort | paste -sd' ')"
check "meshcad is still the same process" kill -0 "$MESHCAD_PID"
