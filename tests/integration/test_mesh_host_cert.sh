#!/usr/bin/env bash
# Host certificates for workloads (issue #16), from a test mesh CA made with
# OpenSSL: only a good X.509-SVID gets one; it is a type-2 certificate from
# the host CA (never the user CA) for the names the policy's "hosts" grant;
# it is in the ledger and the transparency log; `meshca host-cert` installs
# it for a throwaway sshd, and an OpenSSH client that trusts only meshca's
# @cert-authority line connects by a certified name without a prompt and
# refuses a name the certificate does not carry.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
. "$(dirname "$0")/../lib/mesh.sh"

TD=mesh.test
# TLS for meshcad itself (not the mesh CA).
mesh_server_tls

mesh_ca mesh-ca
mesh_ca rogue-ca
API=spiffe://$TD/ns/payments/sa/api
mesh_svid good mesh-ca "$(mesh_svid_ext "$API")"
mesh_svid outsider mesh-ca "$(mesh_svid_ext "spiffe://$TD/ns/ci/sa/runner")"
mesh_svid other-td mesh-ca "$(mesh_svid_ext "spiffe://other.test/ns/payments/sa/api")"
mesh_svid two-uris mesh-ca "$(mesh_svid_ext "$API" "spiffe://$TD/ns/payments/sa/db")"
mesh_svid expired mesh-ca "$(mesh_svid_ext "$API")" 20200101000000Z 20200102000000Z
mesh_svid is-ca mesh-ca "$(mesh_svid_ext "$API" | sed 's/CA:FALSE/CA:TRUE/; s/keyUsage=.*/keyUsage=critical,digitalSignature,keyCertSign/')"
mesh_svid rogue rogue-ca "$(mesh_svid_ext "$API")"
mesh_svid no-uri mesh-ca "$(mesh_svid_ext "$API" | sed 's/^subjectAltName=.*/subjectAltName=DNS:api.payments/')"

stack_init '{ "roles": [ { "name": "bench", "match": { "groups": ["bench"] },
                           "principals": ["payments/api"] } ],
              "hosts": [ { "match": { "spiffe_ids": ["spiffe://mesh.test/ns/payments/sa/*"] },
                           "principals": ["{spiffe_segment[3]}.payments.mesh.test",
                                          "payments.mesh.test"],
                           "default_ttl": "24h", "max_ttl": "72h" } ] }'
"$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/host_ca.pem" >"$T_TMP/host_ca.pub" 2>>"$T_LOG"
stack_config_extra "{\"tls\": {\"cert\": \"server.pem\", \"key\": \"server.key\"},
  \"ca_keys\": [ {\"path\": \"ca.pem\", \"state\": \"active\"},
                 {\"path\": \"host_ca.pem\", \"state\": \"active\", \"use\": \"host\"} ],
  \"mesh\": {\"trust_domain\": \"$TD\", \"trust_bundle\": \"mesh-ca.pem\"}}"
check "meshcad check accepts the mesh config and the hosts policy" \
    "$MESHCAD_BIN" check --config "$T_TMP/meshcad.json"
MESHCAD_URL=https://127.0.0.1:$MESHCAD_PORT
MESHCAD_CURL_OPTS="--cacert $T_TMP/tls-ca.pem"
stack_start

has() { grep -qF -- "$2" <<<"$1"; }  # TEXT NEEDLE: a fixed string in text
c() { curl -sS --cacert "$T_TMP/tls-ca.pem" "$@" 2>>"$T_LOG"; }
check_eq "GET /v1/host-ca-keys serves the host CA key" \
    "$(c "$MESHCAD_URL/v1/host-ca-keys" | cut -d' ' -f1-2)" "$(cut -d' ' -f1-2 "$T_TMP/host_ca.pub")"
check_fails "GET /v1/ca-keys does not serve the host CA key" \
    grep -qF "$(cut -d' ' -f2 "$T_TMP/host_ca.pub")" <(c "$MESHCAD_URL/v1/ca-keys")
check_match "GET /v1/config lists the host name patterns" \
    "$(c "$MESHCAD_URL/v1/config" | jq -c .host_patterns)" '"\*.payments.mesh.test","payments.mesh.test"'

ssh-keygen -q -t ed25519 -N '' -C host -f "$T_TMP/hostkey" >/dev/null
hostcert() {  # SVID-NAME [curl args]: POST /v1/host-certificates; sets CODE, BODY
    local svid=$1; shift
    CODE=$(c -o "$T_TMP/hc.json" -w '%{http_code}' ${svid:+--cert "$T_TMP/$svid.pem" --key "$T_TMP/$svid.key"} \
        -H 'Content-Type: application/json' "$@" \
        --data-binary "$(jq -cn --arg k "$(cat "$T_TMP/hostkey.pub")" '{public_key: $k}')" \
        "$MESHCAD_URL/v1/host-certificates")
    BODY=$(cat "$T_TMP/hc.json")
    echo "host-certificates ($svid) -> $CODE $BODY" >>"$T_LOG"
}

hostcert good
check_eq "a good X.509-SVID gets a host certificate" "$CODE" 201
jq -r .certificate <<<"$BODY" >"$T_TMP/good-cert.pub"
L=$(ssh-keygen -L -f "$T_TMP/good-cert.pub" 2>&1)
echo "$L" >>"$T_LOG"
check_match "ssh-keygen reads it as a host certificate" "$L" 'Type: ssh-ed25519-cert-v01@openssh.com host certificate'
check_match "its names are the policy's, filled from the SPIFFE ID" "$L" \
    $'Principals: \n[[:space:]]*api.payments.mesh.test\n[[:space:]]*payments.mesh.test'
check "it is signed by the host CA" has "$L" \
    "Signing CA: ED25519 $(ssh-keygen -lf "$T_TMP/host_ca.pub" | cut -d' ' -f2)"
check_eq "it is valid for the hosts entry's default_ttl (24h)" \
    "$(jq -r '[.valid_after, .valid_before] | map(fromdate) | .[1] - .[0]' <<<"$BODY")" $((24 * 3600 + 60))
check_eq "the response names the SPIFFE ID" "$(jq -r .spiffe_id <<<"$BODY")" "$API"

for bad in other-td two-uris expired is-ca rogue no-uri; do
    hostcert "$bad"
    check_eq "a hostile SVID ($bad) gets no certificate (401)" "$CODE" 401
done
hostcert other-td; check_match "another trust domain: the reason" "$BODY" 'not in the configured trust domain'
hostcert two-uris; check_match "two URI SANs: the reason" "$BODY" 'more than one URI SAN'
hostcert expired; check_match "expired: the reason" "$BODY" 'expired'
hostcert is-ca; check_match "a CA certificate: the reason" "$BODY" 'CA certificate'
hostcert rogue; check_match "another root: the reason" "$BODY" 'does not verify against mesh.trust_bundle'
hostcert ""; check_eq "no client certificate: 401" "$CODE" 401
hostcert outsider
check_eq "a SPIFFE ID no hosts entry matches is refused (403)" "$CODE" 403
check_match "with the reason" "$BODY" 'no entry of the policy.s \\"hosts\\" matches spiffe://mesh.test/ns/ci/sa/runner'
hostcert good -H "X-Forwarded-Client-Cert: URI=spiffe://$TD/ns/payments/sa/api"
check_eq "an X-Forwarded-Client-Cert header is refused (400) when mesh.xfcc is off" "$CODE" 400
CODE=$(c -o /dev/null -w '%{http_code}' --cert "$T_TMP/good.pem" --key "$T_TMP/good.key" \
    -H 'Content-Type: application/json' --data-binary \
    "$(jq -cn --arg k "$(cut -d' ' -f1-2 "$T_TMP/host_ca.pub")" '{public_key: $k}')" \
    "$MESHCAD_URL/v1/host-certificates")
check_eq "the host CA's own key is not certified" "$CODE" 400

CODE=$(c -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(token 1)" \
    -H 'Content-Type: application/json' --data-binary \
    "$(jq -cn --arg k "$(cut -d' ' -f1-2 "$T_TMP/host_ca.pub")" '{public_key: $k}')" \
    "$MESHCAD_URL/v1/certificates")
check_eq "nor is it certified as a user key" "$CODE" 400

# The user side still signs with the user CA only.
c -H "Authorization: Bearer $(token 0)" -H 'Content-Type: application/json' \
    --data-binary "$(jq -cn --arg k "$(user_key u1)" '{public_key: $k}')" \
    "$MESHCAD_URL/v1/certificates" | jq -r .certificate >"$T_TMP/u1-cert.pub"
L=$(ssh-keygen -L -f "$T_TMP/u1-cert.pub" 2>&1)
check_match "user certificates are still user certificates" "$L" 'user certificate'
check "signed by the user CA" has "$L" \
    "Signing CA: ED25519 $(ssh-keygen -lf "$T_TMP/ca.pub" | cut -d' ' -f2)"

# The ledger and the transparency log.
row=$(psql_admin -c "SELECT spiffe_id || ' ' || array_to_string(principals, ',') FROM host_certificates")
check_eq "the ledger records the host certificate with its SPIFFE ID" \
    "$row" "$API api.payments.mesh.test,payments.mesh.test"
check_fails "host_certificates is append-only" psql_admin -c "DELETE FROM host_certificates"
integrated() {
    test "$(psql_admin -c "SELECT count(*) FROM log_leaves l JOIN host_certificates h USING (seq)")" = 1 &&
        test "$(psql_admin -c "SELECT count(*) FROM log_leaves")" = \
            "$(psql_admin -c "SELECT size FROM log_state")"
}
check "the log integrates the host certificate" wait_for 20 integrated
out=$("$MESHCAD_BIN" ledger verify --config "$T_TMP/meshcad.json" 2>&1)
echo "$out" >>"$T_LOG"
check_match "meshcad ledger verify: intact with a host certificate in the log" "$out" '^ok: log verified: 4 entries'
VKEY=$("$MESHCAD_BIN" log vkey --config "$T_TMP/meshcad.json" 2>>"$T_LOG")
userserial=$(psql_admin -c "SELECT serial FROM certificates LIMIT 1")
logck() { curl -fsS --cacert "$T_TMP/tls-ca.pem" "$MESHCAD_URL/v1/log/checkpoint" 2>/dev/null | sed -n 2p; }
check_eq "the signed checkpoint covers the host certificate" "$(logck)" 4
out=$(SSL_CERT_FILE="$T_TMP/tls-ca.pem" "$BUILD/tests/tools/tlogcheck" verify --url "$MESHCAD_URL/v1/log" --vkey "$VKEY" \
    --serial "$userserial" 2>&1 </dev/null); rc=$?
echo "$out" >>"$T_LOG"
check_eq "tlogcheck (Go sumdb/note, sumdb/tlog) verifies the log holding a host certificate" "$rc" 0
# A host certificate's inclusion is proven by its serial as a user
# certificate's is: ledger verify checks it, so do the auditors.
hostserial=$(psql_admin -c "SELECT serial FROM host_certificates")
out=$(SSL_CERT_FILE="$T_TMP/tls-ca.pem" "$BUILD/tests/tools/tlogcheck" verify --url "$MESHCAD_URL/v1/log" --vkey "$VKEY" \
    --serial "$hostserial" 2>&1 </dev/null); rc=$?
echo "$out" >>"$T_LOG"
check_eq "tlogcheck proves the host certificate's inclusion by its serial" "$rc" 0
out=$("$MESHCA_BIN" audit --server "$MESHCAD_URL" --cacert "$T_TMP/tls-ca.pem" --vkey "$VKEY" \
    --state "$T_TMP/audit.state" --serial "$hostserial" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "meshca audit --serial proves the host certificate's inclusion" "$rc" 0
check_match "and says so" "$out" "certificate $hostserial included"
row=$(psql_admin -c "SELECT reason FROM denials WHERE subject = 'spiffe://$TD/ns/ci/sa/runner'")
check_match "the refused workload is a denial in the ledger" "$row" 'no entry of the policy'

# A policy whose hosts max_ttl exceeds the ceiling (7 days by default).
jq '.hosts[0].max_ttl = "10d"' "$T_TMP/policy.json" >"$T_TMP/long.json"
jq '.policy = "long.json"' "$T_TMP/meshcad.json" >"$T_TMP/long-cfg.json"
out=$("$MESHCAD_BIN" check --config "$T_TMP/long-cfg.json" 2>&1)
check_match "meshcad check refuses a host max_ttl over the ceiling" "$out" \
    'hosts\[0\].max_ttl: 10d exceeds the host certificate ceiling 7d'
jq '.hosts[0].principals = ["{spiffe_segment[x]}.mesh.test"] | .hosts[0].match.spiffe_ids = ["spiffe://mesh.test/ns/a*"]' \
    "$T_TMP/policy.json" >"$T_TMP/bad.json"
out=$("$MESHCAD_BIN" check --policy "$T_TMP/bad.json" 2>&1)
check_match "meshcad check names a bad host template" "$out" 'hosts\[0\].principals\[0\].*unknown template'
check_match "meshcad check names a bad SPIFFE ID pattern" "$out" "hosts\[0\].match.spiffe_ids\[0\].*'\*' must be a whole path segment"

# End to end: meshca host-cert for a throwaway sshd, meshca login for a
# person, and an OpenSSH client that trusts only meshca's known_hosts.
sshd_start "$T_TMP/ca.pub"
sshd_principals "$(id -un)" payments/api
echo "HostCertificate $SSHD_DIR/host_ed25519-cert.pub" >>"$SSHD_DIR/sshd_config"
hc() { "$MESHCA_BIN" host-cert --server "$MESHCAD_URL" --cacert "$T_TMP/tls-ca.pem" "$@"; }
out=$(hc --svid "$T_TMP/rogue.pem" --svid-key "$T_TMP/rogue.key" --key "$SSHD_DIR/host_ed25519.pub" \
    --sshd-pid-file "$SSHD_DIR/sshd.pid" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "meshca host-cert with a rogue SVID: exit 1" "$rc" 1
check "and writes no certificate" test ! -e "$SSHD_DIR/host_ed25519-cert.pub"
out=$(hc --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" --key "$SSHD_DIR/host_ed25519.pub" \
    --sshd-pid-file "$SSHD_DIR/sshd.pid" 2>>"$T_LOG"); rc=$?
check_eq "meshca host-cert: exit 0" "$rc" 0
check_eq "it prints the HostCertificate line" "$out" "HostCertificate $SSHD_DIR/host_ed25519-cert.pub"
check_match "it installed the host certificate" \
    "$(ssh-keygen -L -f "$SSHD_DIR/host_ed25519-cert.pub" 2>&1)" 'host certificate'

export HOME=$T_TMP/home
mkdir -p "$HOME"
claims_for alice '["bench"]' >"$T_TMP/alice.claims"
mint_token "$(cat "$T_TMP/alice.claims")" >"$T_TMP/alice.tok"
(unset SSH_AUTH_SOCK; "$MESHCA_BIN" login --server "$MESHCAD_URL" --cacert "$T_TMP/tls-ca.pem" \
    --token-file "$T_TMP/alice.tok" --files) >>"$T_LOG" 2>&1
KH=$HOME/.ssh/meshca/known_hosts
check "meshca login installs the host CA's @cert-authority line" has "$(grep -v '^#' "$KH" 2>&1)" \
    "@cert-authority *.payments.mesh.test,payments.mesh.test $(cut -d' ' -f1-2 "$T_TMP/host_ca.pub")"
check_match "meshca ssh-config names the managed known_hosts" "$("$MESHCA_BIN" ssh-config)" \
    "UserKnownHostsFile ~/.ssh/known_hosts $HOME/.ssh/meshca/known_hosts"

rm -f "$KH"
check "meshca ssh-config --install" env MESHCA_SERVER="$MESHCAD_URL" MESHCA_CA_FILE="$T_TMP/tls-ca.pem" \
    "$MESHCA_BIN" ssh-config --install
check "also writes the managed known_hosts again" has "$(cat "$KH" 2>&1)" \
    "@cert-authority *.payments.mesh.test,payments.mesh.test $(cut -d' ' -f1-2 "$T_TMP/host_ca.pub")"
check_match "and the installed snippet names it" "$(cat "$HOME/.ssh/config.d/meshca.conf")" \
    "UserKnownHostsFile ~/.ssh/known_hosts $HOME/.ssh/meshca/known_hosts"
sshd_hup_done() { grep -q 'Received SIGHUP' "$SSHD_DIR/sshd.log" && wait_port "$SSHD_PORT" 1; }
check "sshd reloaded with the host certificate" wait_for 10 sshd_hup_done
to() {  # NAME: ssh to the sshd as NAME, strict, meshca's known_hosts only
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" \
        -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias="$1" -o IdentitiesOnly=yes \
        -o IdentityAgent=none -o ConnectTimeout=10 -i "$HOME/.ssh/meshca/id_ed25519" \
        -o CertificateFile="$HOME/.ssh/meshca/id_ed25519-cert.pub" \
        -p "$SSHD_PORT" "$(id -un)@127.0.0.1" echo connected 2>"$T_TMP/ssh.err"
}
connect_ok() { test "$(to api.payments.mesh.test)" = connected; }
check "ssh -o StrictHostKeyChecking=yes reaches api.payments.mesh.test with no prompt" wait_for 10 connect_ok
cat "$T_TMP/ssh.err" >>"$T_LOG"
check_fails "the same client refuses db.payments.mesh.test (not in the certificate)" to db.payments.mesh.test
cat "$T_TMP/ssh.err" >>"$T_LOG"
check_match "because the name is not a listed principal" "$(cat "$T_TMP/ssh.err")" 'not a listed principal|Host key verification failed'
check_fails "and a name outside the CA's patterns (no prompt, refused)" to other.example.test

# The host reports its logins (#18) as itself: its X.509-SVID on mTLS, no
# token; meshcad names it by the first host name the policy grants it.
accepted() { grep -q "Accepted publickey for $(id -un) .*-CERT .* ID " "$SSHD_DIR/sshd.log"; }
check "sshd logged the certificate login" wait_for 10 accepted
hr() { "$MESHCA_BIN" host-report --server "$MESHCAD_URL" --cacert "$T_TMP/tls-ca.pem" \
    --log "$SSHD_DIR/sshd.log" --state "$T_TMP/hr.state" "$@"; }
out=$(hr --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" 2>&1); rc=$?
check_eq "meshca host-report --svid ships the login (exit 0)" "$rc" 0
check_match "and says so" "$out" 'host-report: [1-9][0-9]* logins? shipped, [1-9][0-9]* new'
check_eq "the ledger names the host by its SVID's granted host name" \
    "$(psql_admin -c "SELECT DISTINCT host || ' ' || result FROM logins")" "api.payments.mesh.test accepted"
login_body='{"logins": [{"line_id": "svid-1", "at": "2026-01-01T00:00:00Z", "account": "app", "result": "accepted"}]}'
check_eq "an SVID the hosts section grants nothing: 403" \
    "$(c -o "$T_TMP/resp" -w '%{http_code}' --cert "$T_TMP/outsider.pem" --key "$T_TMP/outsider.key" \
        -H 'Content-Type: application/json' -d "$login_body" "$MESHCAD_URL/v1/logins")" 403
check_match "saying what to fix" "$(cat "$T_TMP/resp")" "grants spiffe://$TD/ns/ci/sa/runner no host name"
check_eq "an SVID of another mesh CA: 401" \
    "$(c -o /dev/null -w '%{http_code}' --cert "$T_TMP/rogue.pem" --key "$T_TMP/rogue.key" \
        -H 'Content-Type: application/json' -d "$login_body" "$MESHCAD_URL/v1/logins")" 401
check_eq "neither SVID nor token (no logins.host_tokens here): 404" \
    "$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$login_body" \
        "$MESHCAD_URL/v1/logins")" 404
hr >/dev/null 2>&1; rc=$?
check_eq "host-report without --token-file or --svid: usage (exit 2)" "$rc" 2
hr --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" --token-file /dev/null >/dev/null 2>&1; rc=$?
check_eq "host-report with both: usage (exit 2)" "$rc" 2

# Renewal (the refresh timer's meshca host-cert --renew): not due right
# after issuance; due for a certificate that is not ours; the old one stays
# when renewal fails.
CERT=$SSHD_DIR/host_ed25519-cert.pub
before=$(sha256sum <"$CERT")
out=$(hc --renew --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" --key "$SSHD_DIR/host_ed25519.pub" \
    --sshd-pid-file "$SSHD_DIR/sshd.pid" 2>&1); rc=$?
check_eq "host-cert --renew of a fresh certificate: exit 0" "$rc" 0
check_match "it is not due before two thirds of its lifetime" "$out" 'not due for renewal until'
check_eq "and the file is untouched" "$(sha256sum <"$CERT")" "$before"
cp "$T_TMP/good-cert.pub" "$CERT"   # a host certificate of another key
out=$(hc --renew --server https://127.0.0.1:1 --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" \
    --key "$SSHD_DIR/host_ed25519.pub" --no-reload 2>&1); rc=$?
check_eq "a due renewal with the server unreachable: exit 3" "$rc" 3
check_eq "keeps the old certificate" "$(sha256sum <"$CERT")" "$(sha256sum <"$T_TMP/good-cert.pub")"
out=$(hc --renew --svid "$T_TMP/good.pem" --svid-key "$T_TMP/good.key" --key "$SSHD_DIR/host_ed25519.pub" \
    --no-reload 2>&1); rc=$?
check_eq "a due renewal: exit 0" "$rc" 0
check "and a new certificate of this host's key" ssh-keygen -L -f "$CERT"
check_fails "(not the other key's)" cmp -s "$CERT" "$T_TMP/good-cert.pub"
out=$("$MESHCA_BIN" host-config --server "$MESHCAD_URL" --svid /run/spire/svid.pem \
    --svid-key /run/spire/svid.key 2>&1)
check_match "host-config prints the HostCertificate line" "$out" \
    'HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub'
check_match "and the renewal for the refresh service" "$out" \
    "ExecStart=$(readlink -f "$MESHCA_BIN") host-cert --renew --server $MESHCAD_URL --svid /run/spire/svid.pem --svid-key /run/spire/svid.key --key /etc/ssh/ssh_host_ed25519_key.pub"

# /v1/explain explains host decisions too.
ex=$(c --cert "$T_TMP/good.pem" --key "$T_TMP/good.key" -H 'Content-Type: application/json' \
    -d '{"host": true}' "$MESHCAD_URL/v1/explain")
echo "$ex" >>"$T_LOG"
check_eq "explain: a host decision for the SVID's SPIFFE ID" \
    "$(jq -c '[.spiffe_id, .decision, .principals]' <<<"$ex")" \
    "[\"$API\",\"granted\",[\"api.payments.mesh.test\",\"payments.mesh.test\"]]"
ex=$(c --cert "$T_TMP/outsider.pem" --key "$T_TMP/outsider.key" -H 'Content-Type: application/json' \
    -d '{"host": true}' "$MESHCAD_URL/v1/explain")
check_eq "explain: a refused workload, with the entry that did not match" \
    "$(jq -c '[.decision, .entries[0].matches]' <<<"$ex")" '["denied",false]'

# The report: which workloads hold which host names.
tok=$(mint_token "$(claims_for admin '["meshca-admins"]')")
jq '.admins = {"groups": ["meshca-admins"]}' "$T_TMP/policy.json" >"$T_TMP/p2" && mv "$T_TMP/p2" "$T_TMP/policy.json"
kill -HUP "$MESHCAD_PID"
reloaded() { grep -q 'policy reloaded' "$T_TMP/meshcad.log"; }
check "meshcad reloads the policy with admins" wait_for 10 reloaded
rep=$(c -H "Authorization: Bearer $tok" "$MESHCAD_URL/v1/report")
echo "$rep" | head -c 2000 >>"$T_LOG"
check_eq "the report lists the workload and its host names" \
    "$(jq -c '.hosts | map([.spiffe_id, .host_names])' <<<"$rep")" \
    "[[\"$API\",[\"api.payments.mesh.test\",\"payments.mesh.test\"]]]"
echo "$rep" >"$T_TMP/report.json"
"$MESHCA_BIN" report --input "$T_TMP/report.json" --format html --output "$T_TMP/report.html" >>"$T_LOG" 2>&1
check_match "the HTML report has the section" "$(cat "$T_TMP/report.html")" 'Workloads &rarr; host names'
check "and names the workload" grep -qF "$API" "$T_TMP/report.html"

# A revoked host key gets no new host certificate.
CODE=$(c -o "$T_TMP/rv.json" -w '%{http_code}' -H "Authorization: Bearer $(mint_token "$(claims_for admin '["meshca-admins"]')")" \
    -H 'Content-Type: application/json' --data-binary \
    "$(jq -cn --arg k "$(cat "$T_TMP/hostkey.pub")" '{public_key: $k, reason: "host key leaked", force: true}')" \
    "$MESHCAD_URL/v1/revocations")
echo "revocation -> $CODE $(cat "$T_TMP/rv.json")" >>"$T_LOG"
check_eq "an admin revokes the host key" "$CODE" 201
revoked() { hostcert good; test "$CODE" = 403; }
check "then a good SVID gets no certificate for that key (403)" wait_for 10 revoked
check_match "the reason" "$BODY" 'revoked'

# ssh lowercases the name it connects to (HostKeyAlias too) and compares it
# byte for byte with the host certificate's principals: a workload whose
# SPIFFE ID says "API" gets the name in lower case, and a client reaches it.
mesh_svid upper mesh-ca "$(mesh_svid_ext "spiffe://$TD/ns/payments/sa/API")"
out=$(hc --svid "$T_TMP/upper.pem" --svid-key "$T_TMP/upper.key" --key "$SSHD_DIR/host_ed25519.pub" \
    --sshd-pid-file "$SSHD_DIR/sshd.pid" 2>>"$T_LOG"); rc=$?
check_eq "meshca host-cert for spiffe://$TD/ns/payments/sa/API: exit 0" "$rc" 0
check "its certificate names api.payments.mesh.test in lower case" \
    grep -qx ' *api\.payments\.mesh\.test' <(ssh-keygen -L -f "$SSHD_DIR/host_ed25519-cert.pub")
upper_ok() { test "$(to API.payments.mesh.test)" = connected; }
check "ssh -o StrictHostKeyChecking=yes reaches API.payments.mesh.test with no prompt" wait_for 10 upper_ok
cat "$T_TMP/ssh.err" >>"$T_LOG"

# A SPIFFE ID may be 2,048 bytes; the key id meshcad builds from it
# ("host:ID/REQUEST") is held to what sshd logs whole and meshca
# host-report ships (CERT_KEY_ID_BUILT_MAX), cutting the ID, so a long but
# valid ID gets its certificate (it was a 500: the key id was over 1,024).
LONG=spiffe://$TD/ns/payments/sa/$(printf 'w%.0s' $(seq 1200))
mesh_svid long mesh-ca "$(mesh_svid_ext "$LONG")"
CODE=$(c -o "$T_TMP/hc.json" -w '%{http_code}' --cert "$T_TMP/long.pem" --key "$T_TMP/long.key" \
    -H 'Content-Type: application/json' \
    --data-binary "$(jq -cn --arg k "$(cat "$SSHD_DIR/host_ed25519.pub")" '{public_key: $k}')" \
    "$MESHCAD_URL/v1/host-certificates")
BODY=$(cat "$T_TMP/hc.json")
echo "host-certificates (long) -> $CODE $BODY" >>"$T_LOG"
check_eq "a valid SPIFFE ID of 1,235 bytes gets a host certificate" "$CODE" 201
