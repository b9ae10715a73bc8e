#!/usr/bin/env bash
# The host CA set is part of the CA state a SIGHUP swaps (issue #16 with
# #19): a host CA rotation (a new active host key, the old one retired)
# takes effect without a restart: the next host certificate is signed by the
# new key and /v1/host-ca-keys publishes both; then a host CA key in a
# PKCS#11 token (SoftHSM) signs host certificates, which `meshca host-cert`
# accepts.  A reload that would put one key in both sets is refused and the
# previous sets keep serving.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/mesh.sh"
. "$(dirname "$0")/../lib/hsm.sh"

TD=mesh.test
mesh_server_tls
mesh_ca mesh-ca
mesh_svid good mesh-ca "$(mesh_svid_ext "spiffe://$TD/ns/payments/sa/api")"

hsm_init
hsm_keygen ed25519 host-hsm || bail "keygen --pkcs11"
stack_init '{ "roles": [ { "name": "bench", "match": { "groups": ["bench"] },
                           "principals": ["payments/api"] } ],
              "hosts": [ { "match": { "spiffe_ids": ["spiffe://mesh.test/ns/payments/sa/*"] },
                           "principals": ["{spiffe_segment[3]}.payments.mesh.test"] } ] }'
for k in host1 host2; do
    "$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/$k.pem" >"$T_TMP/$k.pub" 2>>"$T_LOG" ||
        bail "keygen $k"
done
fp() { ssh-keygen -lf "$1" | awk '{print $2}'; }
user_fp=$(fp "$T_TMP/ca.pub") host1_fp=$(fp "$T_TMP/host1.pub") host2_fp=$(fp "$T_TMP/host2.pub")
hsm_fp=$(cat "$T_TMP/host-hsm.fp")
host_entry() { jq -cn --arg p "$1" --arg s "$2" '{path: $p, state: $s, use: "host"}'; }
user_entry='{"path": "ca.pem", "state": "active"}'
stack_config_extra "{\"tls\": {\"cert\": \"server.pem\", \"key\": \"server.key\"},
  \"ca_keys\": [ $user_entry, $(host_entry host1.pem active) ],
  \"mesh\": {\"trust_domain\": \"$TD\", \"trust_bundle\": \"mesh-ca.pem\"}}"
MESHCAD_URL=https://127.0.0.1:$MESHCAD_PORT
MESHCAD_CURL_OPTS="--cacert $T_TMP/tls-ca.pem"
stack_start

c() { curl -fsS --cacert "$T_TMP/tls-ca.pem" "$@" 2>>"$T_LOG"; }
reloads() { grep -c "\"$1\"" "$T_TMP/meshcad.log"; }
logged_more() { [ "$(reloads "$1")" -gt "$2" ]; }
hup() {  # MESSAGE: SIGHUP, then wait until MESSAGE was logged once more
    local n
    n=$(reloads "$1")
    kill -HUP "$MESHCAD_PID"
    wait_for 20 logged_more "$1" "$n"
}
host_keys() { c "$MESHCAD_URL/v1/host-ca-keys" | awk '{print $2}' | sort | paste -sd' '; }
blob() { cut -d' ' -f2 "$1"; }
sorted() { printf '%s\n' "$@" | sort | paste -sd' '; }
ssh-keygen -q -t ed25519 -N '' -C host -f "$T_TMP/hostkey" >/dev/null
host_signer() {  # the fingerprint of the CA that signs a fresh host certificate
    c --cert "$T_TMP/good.pem" --key "$T_TMP/good.key" -H 'Content-Type: application/json' \
        --data-binary "$(jq -cn --arg k "$(cat "$T_TMP/hostkey.pub")" '{public_key: $k}')" \
        "$MESHCAD_URL/v1/host-certificates" | jq -r .certificate >"$T_TMP/hc-cert.pub"
    ssh-keygen -L -f "$T_TMP/hc-cert.pub" | tee -a "$T_LOG" | awk '/Signing CA:/ {print $4}'
}
user_keys_before=$(c "$MESHCAD_URL/v1/ca-keys")

check_eq "before: /v1/host-ca-keys publishes the one host key" "$(host_keys)" "$(blob "$T_TMP/host1.pub")"
check_eq "before: host1 signs host certificates" "$(host_signer)" "$host1_fp"

# Host CA rotation: host2 becomes active, host1 is retired.
stack_config_extra "{\"ca_keys\": [ $user_entry, $(host_entry host1.pem retired),
  $(host_entry host2.pem active) ]}"
check "SIGHUP loads the rotated host set" hup "ca keys reloaded"
check_eq "/v1/host-ca-keys publishes the new and the retired host key" "$(host_keys)" \
    "$(sorted "$(blob "$T_TMP/host1.pub")" "$(blob "$T_TMP/host2.pub")")"
check_eq "the next host certificate is signed by the new host key" "$(host_signer)" "$host2_fp"
check_eq "/v1/ca-keys (the user CA) is unchanged" "$(c "$MESHCAD_URL/v1/ca-keys")" "$user_keys_before"
check_eq "the reload log names the active host key with its use" \
    "$(grep '"ca keys reloaded"' "$T_TMP/meshcad.log" | tail -1 |
        jq -r '.keys[] | select(.use == "host" and .state == "active") | .fingerprint')" "$host2_fp"
c -H "Authorization: Bearer $(token 0)" -H 'Content-Type: application/json' \
    --data-binary "$(jq -cn --arg k "$(user_key u1)" '{public_key: $k}')" \
    "$MESHCAD_URL/v1/certificates" | jq -r .certificate >"$T_TMP/u1-cert.pub"
check_eq "user certificates are still signed by the user CA" \
    "$(ssh-keygen -L -f "$T_TMP/u1-cert.pub" | awk '/Signing CA:/ {print $4}')" "$user_fp"

# A set with one key in both uses is refused; the previous sets keep serving.
stack_config_extra "{\"ca_keys\": [ $user_entry, $(host_entry ca.pem active) ]}"
check "a host set holding the user key is refused" \
    hup "ca keys reload refused; the previous keys keep serving"
check "the refusal says why" grep -q 'configured for both \\"use\\": \\"user\\" and \\"use\\": \\"host\\"' \
    "$T_TMP/meshcad.log"
check_eq "the previous host set still signs" "$(host_signer)" "$host2_fp"

# A host CA key in the token (SoftHSM): use is independent of the source.
stack_config_extra "{\"ca_keys\": [ $user_entry, $(host_entry host2.pem retired),
  $(hsm_entry host-hsm active | jq -c '.use = "host"') ]}"
check "SIGHUP loads a host CA key from the PKCS#11 token" hup "ca keys reloaded"
check_eq "the token's key signs host certificates" "$(host_signer)" "$hsm_fp"
check "/v1/host-ca-keys publishes the token's key" \
    grep -qF "$(blob "$T_TMP/host-hsm.pub")" <(c "$MESHCAD_URL/v1/host-ca-keys")
out=$("$MESHCA_BIN" host-cert --server "$MESHCAD_URL" --cacert "$T_TMP/tls-ca.pem" \
    --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" --key "$T_TMP/hostkey.pub" \
    --no-reload 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "meshca host-cert accepts the token-signed host certificate (signature, CA published)" "$rc" 0
check_eq "it installed it" "$(ssh-keygen -L -f "$T_TMP/hostkey-cert.pub" | awk '/Signing CA:/ {print $4}')" \
    "$hsm_fp"
check_eq "the ledger records host certificates of the three host keys" \
    "$(psql_admin -c "SELECT count(DISTINCT ca_fingerprint) FROM host_certificates")" 3
check "meshcad is still the same process" kill -0 "$MESHCAD_PID"
