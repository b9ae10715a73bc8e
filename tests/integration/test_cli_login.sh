#!/usr/bin/env bash
# meshca login end to end against the real identity provider, PostgreSQL,
# meshcad and a loopback sshd: the device flow (the test completes the
# provider's pages as a person would) puts a certificate in the ssh-agent and
# plain ssh works; logout and it doesn't; --files without an agent works
# with ssh -i; a 5-second certificate stops working when it expires; status
# exit codes; the host helpers refuse a corrupted KRL and keep the old file.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

idp_start
stack_start_login
"$MESHCA_BIN" ca-keys --output "$T_TMP/trusted.pub" >>"$T_LOG" 2>&1
check "meshca ca-keys fetched the CA keys" test -s "$T_TMP/trusted.pub"
sshd_start "$T_TMP/trusted.pub"
sshd_principals "$T_USER" payments/api

agent_start

plain_ssh() {  # what a user types, with only the agent or -i to go on
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p "$SSHD_PORT" "$@" \
        "$T_USER@127.0.0.1" true
}

# Device flow, installed into the agent
"$MESHCA_BIN" login --principal payments/api >"$T_TMP/login.out" 2>"$T_TMP/login.err" &
login_pid=$!
code=$(user_code "$T_TMP/login.err")
check "login shows a user code and where to enter it" test -n "$code"
node "$MESHCA_TOP/tests/idp/person.js" device "$IDP_URL" alice "$code" >>"$T_LOG" 2>&1
check "the person completed the provider's pages" test $? = 0
wait "$login_pid"; rc=$?
cat "$T_TMP/login.out" "$T_TMP/login.err" >>"$T_LOG"
check_eq "meshca login --flow device: exit 0" "$rc" 0
check "the agent holds a certificate" bash -c "ssh-add -l | grep -q CERT"
check "plain ssh works through the agent" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status: valid (exit 0)" "$("$MESHCA_BIN" status >/dev/null; echo $?)" 0
check_match "status --json" "$("$MESHCA_BIN" status --json)" '"installed":true.*"principals":\["payments/api"\]'
check "logout" "$MESHCA_BIN" logout
check_fails "after logout, ssh fails" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status: none (exit 2)" "$("$MESHCA_BIN" status >/dev/null; echo $?)" 2

# The person presses "Abort" at the provider: the client says so and stops.
"$MESHCA_BIN" login --flow device >"$T_TMP/deny.out" 2>"$T_TMP/deny.err" &
login_pid=$!
code=$(user_code "$T_TMP/deny.err")
node "$MESHCA_TOP/tests/idp/person.js" deny "$IDP_URL" "$code" >>"$T_LOG" 2>&1
check "the person aborted at the provider's page" test $? = 0
wait "$login_pid"; rc=$?
cat "$T_TMP/deny.out" "$T_TMP/deny.err" >>"$T_LOG"
check_eq "a denied device login: exit 1" "$rc" 1
check_match "with a clear message" "$(cat "$T_TMP/deny.err")" 'denied at the identity provider'
check_match "and nothing installed" "$(ssh-add -l 2>&1)" 'no identities'

# --files, no agent, a CI-style token file.  (A new second first: the
# provider's RS256 ID tokens carry no jti, so two tokens for the same person
# in the same second are the same token, and meshcad would refuse a replay.)
next_second
node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$T_TMP/tok" 2>>"$T_LOG"
(unset SSH_AUTH_SOCK; "$MESHCA_BIN" login --token-file "$T_TMP/tok") >>"$T_LOG" 2>&1
check "login with a token file and no agent writes files" test -f "$HOME/.ssh/meshca/id_ed25519-cert.pub"
check_eq "~/.ssh/meshca is 0700" "$(stat -c %a "$HOME/.ssh/meshca")" 700
check_eq "the private key is 0600" "$(stat -c %a "$HOME/.ssh/meshca/id_ed25519")" 600
check "ssh -i works with the files" plain_ssh -o IdentityAgent=none -i "$HOME/.ssh/meshca/id_ed25519"
check "meshca ssh-config --install writes a snippet" "$MESHCA_BIN" ssh-config --install
check "ssh with only that snippet as its config works" ssh -F "$HOME/.ssh/config.d/meshca.conf" \
    -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o IdentityAgent=none -o LogLevel=ERROR -p "$SSHD_PORT" "$T_USER@127.0.0.1" true
check "logout removes the files" "$MESHCA_BIN" logout
check_fails "the key file is gone" test -e "$HOME/.ssh/meshca/id_ed25519"

# A 5-second certificate stops working when it expires.  (A new second, so
# the provider's deterministic RS256 token differs from the last one.)
next_second
node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$T_TMP/tok2" 2>>"$T_LOG"
"$MESHCA_BIN" login --token-file "$T_TMP/tok2" --ttl 5s >>"$T_LOG" 2>&1
check "a 5-second certificate works at first" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status: expiring within 60 s (exit 1)" "$("$MESHCA_BIN" status >/dev/null; echo $?)" 1
wait_for 15 bash -c "'$MESHCA_BIN' status >/dev/null; [ \$? = 2 ]"
check_fails "after it expires, ssh fails" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status after expiry: none (exit 2)" "$("$MESHCA_BIN" status >/dev/null; echo $?)" 2

# A --ttl above the role's max_ttl is capped, and the output says so.
"$MESHCA_BIN" logout >/dev/null 2>&1
next_second
node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$T_TMP/tokttl" 2>>"$T_LOG"
out=$("$MESHCA_BIN" login --token-file "$T_TMP/tokttl" --ttl 30m 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "login --ttl above max_ttl: exit 0 (capped, as before)" "$rc" 0
check_match "the output says it was capped and by what" "$out" 'Note: --ttl 30m is above what the role allows; the certificate is valid for 15m \(asked 30m, capped by max_ttl 15m of role'
left=$("$MESHCA_BIN" status --json | jq .seconds_left)
check "the certificate is valid for at most 15m" test "$left" -le 900
out=$("$MESHCA_BIN" logout >/dev/null 2>&1; next_second; node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$T_TMP/tokttl2" 2>>"$T_LOG"; "$MESHCA_BIN" login --token-file "$T_TMP/tokttl2" --ttl 2m 2>&1)
check_fails "a --ttl within max_ttl: no note" grep -q 'Note: --ttl' <<<"$out"
"$MESHCA_BIN" logout >/dev/null 2>&1

# Local pins win over the server's word: a pin that is not the server's CA
# refuses the certificate (nothing installed); the right pin accepts it.
"$MESHCA_BIN" logout >/dev/null 2>&1
mkdir -p "$HOME/.config/meshca"
printf '{"ca_fingerprints": ["SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"]}\n' >"$HOME/.config/meshca/config.json"
next_second
node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$T_TMP/tok3" 2>>"$T_LOG"
out=$("$MESHCA_BIN" login --token-file "$T_TMP/tok3" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "a CA that is not pinned locally: exit 1" "$rc" 1
check_match "says so" "$out" 'not a CA key pinned in ~/.config/meshca/config.json.*not installed'
check_match "nothing in the agent" "$(ssh-add -l 2>&1)" 'no identities'
check_eq "status: none (exit 2)" "$("$MESHCA_BIN" status >/dev/null; echo $?)" 2
fp=$(ssh-keygen -lf "$T_TMP/trusted.pub" | head -n 1 | awk '{print $2}')
printf '{"ca_fingerprints": ["%s"]}\n' "$fp" >"$HOME/.config/meshca/config.json"
next_second
node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$T_TMP/tok4" 2>>"$T_LOG"
check "the pinned CA: login works" "$MESHCA_BIN" login --token-file "$T_TMP/tok4"
check "and ssh too" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check "status shows the CA fingerprint" bash -c "'$MESHCA_BIN' status | grep -qF -- 'CA key:     $fp'"
rm -f "$HOME/.config/meshca/config.json"
"$MESHCA_BIN" logout >/dev/null 2>&1

# The browser flow: authorization code + PKCE, loopback redirect
"$MESHCA_BIN" logout >/dev/null 2>&1
"$MESHCA_BIN" login --flow browser --files >"$T_TMP/b.out" 2>"$T_TMP/b.err" &
login_pid=$!
url=""
for i in $(seq 100); do
    url=$(grep -A1 '^Open this URL' "$T_TMP/b.err" | tail -n 1 | grep '^http')
    [ -n "$url" ] && break
    sleep 0.1
done
check_match "the browser flow prints an authorization URL with PKCE S256" "$url" 'code_challenge_method=S256.*|code_challenge=.*code_challenge_method=S256'
check_match "and a loopback redirect" "$url" 'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A[0-9]+%2Fcallback'
lport=$(sed -n 's/.*redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\([0-9]*\)%2F.*/\1/p' <<<"$url")
check_eq "the listener ignores other paths (404)" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/favicon.ico")" 404
check_eq "and refuses a redirect with a forged state (400)" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/callback?code=stolen&state=forged")" 400
check "and keeps waiting for the real one" kill -0 "$login_pid"
node "$MESHCA_TOP/tests/idp/person.js" browser "$url" alice >>"$T_LOG" 2>&1
check "the person logged in and the browser came back to the listener" test $? = 0
wait "$login_pid"; rc=$?
cat "$T_TMP/b.out" "$T_TMP/b.err" >>"$T_LOG"
check_eq "meshca login --flow browser: exit 0" "$rc" 0
check "ssh works with the browser-flow certificate" plain_ssh -o IdentityAgent=none -i "$HOME/.ssh/meshca/id_ed25519"
"$MESHCA_BIN" logout >/dev/null 2>&1

# Host helpers keep the old file when the server misbehaves
check "meshca krl fetches a valid KRL" "$MESHCA_BIN" krl --output "$T_TMP/host.krl"
cp "$T_TMP/host.krl" "$T_TMP/host.krl.before"
bad_port=$(free_port)
node -e "require('http').createServer((q, s) => { s.end(q.url === '/v1/krl' ? 'SSHKRL\n\0garbage' : 'not a key\n'); }).listen($bad_port, '127.0.0.1')" &
bad_pid=$!
at_exit "kill $bad_pid"
wait_port "$bad_port" 10
check_fails "meshca krl refuses a corrupted KRL" "$MESHCA_BIN" krl --server "http://127.0.0.1:$bad_port" --output "$T_TMP/host.krl"
check "and leaves the old KRL in place" cmp "$T_TMP/host.krl" "$T_TMP/host.krl.before"
cp "$T_TMP/trusted.pub" "$T_TMP/trusted.before"
check_fails "meshca ca-keys refuses a non-key answer" "$MESHCA_BIN" ca-keys --server "http://127.0.0.1:$bad_port" --output "$T_TMP/trusted.pub"
check "and leaves the old CA keys in place" cmp "$T_TMP/trusted.pub" "$T_TMP/trusted.before"
check_match "host-config prints the sshd lines" "$("$MESHCA_BIN" host-config)" 'RevokedKeys /etc/ssh/meshca.krl'
