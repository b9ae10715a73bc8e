#!/usr/bin/env bash
# The client's installation without a meshcad: a key and a certificate made
# by ssh-keygen from a test CA are installed the way `meshca login` installs
# its own (cli/install.c, through tests/tools/cli-install): into a real
# ssh-agent with a lifetime constraint, or as files.  Plain ssh then logs in
# to a real sshd that trusts the CA; after `meshca logout` it cannot; a
# 5-second lifetime makes the agent drop the key by itself; `meshca status`
# exit codes follow.
. "$(dirname "$0")/../lib/harness.sh"

INSTALL=$BUILD/tests/tools/cli-install
export HOME=$T_TMP/home
mkdir -p "$HOME"
unset MESHCA_SERVER MESHCA_ID_TOKEN

ssh-keygen -q -t ed25519 -N '' -C test-ca -f "$T_TMP/ca" >>"$T_LOG" 2>&1 || bail "ssh-keygen CA"
ssh-keygen -q -t ed25519 -N '' -C other-ca -f "$T_TMP/other_ca" >>"$T_LOG" 2>&1 || bail "ssh-keygen other CA"
sshd_start "$T_TMP/ca.pub"
sshd_principals "$T_USER" payments/api

agent_start

# A fresh key and a certificate for it: mkuser NAME VALIDITY [CA]
mkuser() {
    local name=$1 validity=$2 ca=${3:-$T_TMP/ca}
    rm -f "$T_TMP/$name" "$T_TMP/$name.pub" "$T_TMP/$name-cert.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$T_TMP/$name" >>"$T_LOG" 2>&1 &&
        ssh-keygen -q -s "$ca" -I "$name@example.com" -n payments/api \
            -V "$validity" -z 4242 "$T_TMP/$name.pub" >>"$T_LOG" 2>&1
}

plain_ssh() {  # what a user types, with only the agent or -i to go on
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 -p "$SSHD_PORT" "$@" \
        "$T_USER@127.0.0.1" true
}
status_rc() { "$MESHCA_BIN" status "$@" >>"$T_LOG" 2>&1; echo $?; }

check_eq "status before any login: none (exit 2)" "$(status_rc)" 2
check_fails "no identity in the agent: ssh fails" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"

# Into the agent
mkuser alice -1m:+10m || bail "mkuser alice"
check_eq "installs into the ssh-agent" "$("$INSTALL" "$T_TMP/alice" "$T_TMP/alice-cert.pub" 4242 2>>"$T_LOG")" ssh-agent
check_match "ssh-add -l lists the certificate" "$(ssh-add -l 2>&1)" 'alice@example.com \(ED25519-CERT\)'
check "the agent holds exactly that certificate" bash -c \
    "ssh-add -L | grep -qF \"\$(cut -d' ' -f2 '$T_TMP/alice-cert.pub')\""
check_fails "no private key file was written" test -e "$HOME/.ssh/meshca/id_ed25519"
check "plain ssh through the agent logs in" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status: valid (exit 0)" "$(status_rc)" 0
check_match "status --json says where and what" "$("$MESHCA_BIN" status --json)" \
    '"installed":true.*"state":"valid".*"serial":"4242".*"key_id":"alice@example.com".*"principals":\["payments/api"\].*"where":"ssh-agent"'
check_eq "status --min-valid 1h: expiring (exit 1)" "$(status_rc --min-valid 1h)" 1
out=$("$MESHCA_BIN" logout 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "logout: exit 0" "$rc" 0
check_match "logout says what it removed" "$out" 'gone from the ssh-agent'
check_match "the agent no longer holds it" "$(ssh-add -l 2>&1)" 'no identities'
check_fails "after logout, ssh fails" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status after logout: none (exit 2)" "$(status_rc)" 2
check_match "logout again: nothing to do" "$("$MESHCA_BIN" logout 2>&1)" 'Not logged in'

# A new login replaces the previous certificate in the agent
mkuser bob1 -1m:+10m && "$INSTALL" "$T_TMP/bob1" "$T_TMP/bob1-cert.pub" >>"$T_LOG" 2>&1
mkuser bob2 -1m:+10m && "$INSTALL" "$T_TMP/bob2" "$T_TMP/bob2-cert.pub" >>"$T_LOG" 2>&1
check_eq "a second login leaves one meshca certificate in the agent" \
    "$(ssh-add -l | grep -c ED25519-CERT)" 1
check_match "the newer one" "$(ssh-add -l)" 'bob2@example.com'
"$MESHCA_BIN" logout >>"$T_LOG" 2>&1

# The lifetime constraint: a certificate valid for 5 more seconds is
# dropped by the agent itself when that time is up.
mkuser carol -1m:+5s || bail "mkuser carol"
"$INSTALL" "$T_TMP/carol" "$T_TMP/carol-cert.pub" >>"$T_LOG" 2>&1
check "a 5-second certificate works at first" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status: expiring within 60 s (exit 1)" "$(status_rc)" 1
sleep 6
check_match "after 5 s the agent has dropped it (lifetime)" "$(ssh-add -l 2>&1)" 'no identities'
check_fails "and ssh fails" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
check_eq "status: none (exit 2)" "$(status_rc)" 2
"$MESHCA_BIN" logout >>"$T_LOG" 2>&1

# A certificate from a CA the host does not trust gets nowhere: the logins
# above were the certificate's doing.
mkuser mallory -1m:+10m "$T_TMP/other_ca" && "$INSTALL" "$T_TMP/mallory" "$T_TMP/mallory-cert.pub" >>"$T_LOG" 2>&1
check_fails "a certificate from another CA: ssh fails" plain_ssh -o IdentityAgent="$SSH_AUTH_SOCK"
"$MESHCA_BIN" logout >>"$T_LOG" 2>&1

# Files (no agent): 0700 directory, 0600 files, ssh -i works
mkuser dave -1m:+10m || bail "mkuser dave"
where=$(unset SSH_AUTH_SOCK; "$INSTALL" "$T_TMP/dave" "$T_TMP/dave-cert.pub" 2>>"$T_LOG")
check_eq "without an agent it writes files" "$where" "$HOME/.ssh/meshca"
check_eq "~/.ssh/meshca is 0700" "$(stat -c %a "$HOME/.ssh/meshca")" 700
check_eq "~/.ssh is 0700" "$(stat -c %a "$HOME/.ssh")" 700
check_eq "the private key is 0600" "$(stat -c %a "$HOME/.ssh/meshca/id_ed25519")" 600
check_eq "the certificate is 0600" "$(stat -c %a "$HOME/.ssh/meshca/id_ed25519-cert.pub")" 600
check_eq "the state file is 0600" "$(stat -c %a "$HOME/.config/meshca/state.json")" 600
check_eq "no temp files left behind" "$(ls -A "$HOME/.ssh/meshca" | grep -c tmp)" 0
check "ssh -i works with the files" plain_ssh -o IdentityAgent=none -o IdentitiesOnly=yes -i "$HOME/.ssh/meshca/id_ed25519"
check_eq "status (files): valid (exit 0)" "$(SSH_AUTH_SOCK= status_rc)" 0
check_match "status says where" "$("$MESHCA_BIN" status)" "installed:  $HOME/.ssh/meshca"
check "ssh-config --install" "$MESHCA_BIN" ssh-config --install
check "ssh with only that snippet as its config works" ssh -F "$HOME/.ssh/config.d/meshca.conf" \
    -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o IdentityAgent=none -o LogLevel=ERROR -p "$SSHD_PORT" "$T_USER@127.0.0.1" true
# --files even with an agent at hand
mkuser erin -1m:+10m && "$INSTALL" --files "$T_TMP/erin" "$T_TMP/erin-cert.pub" >>"$T_LOG" 2>&1
check "--files writes files even with an agent" cmp "$T_TMP/erin-cert.pub" "$HOME/.ssh/meshca/id_ed25519-cert.pub"
check_match "and leaves the agent alone" "$(ssh-add -l 2>&1)" 'no identities'
check_fails "the replaced certificate is no longer reported as installed" \
    bash -c "'$MESHCA_BIN' status --json | grep -q dave@"
check "logout removes the files" "$MESHCA_BIN" logout
check_eq "nothing left in ~/.ssh/meshca" "$(ls -A "$HOME/.ssh/meshca" | wc -l)" 0
check_fails "ssh -i now fails" plain_ssh -o IdentityAgent=none -o IdentitiesOnly=yes -i "$HOME/.ssh/meshca/id_ed25519"
check_eq "status: none (exit 2)" "$(status_rc)" 2
check_match "status --json when absent" "$("$MESHCA_BIN" status --json)" '"installed":false'

# Every command answers --help with exit 0
for c in login status logout ssh-config ca-keys krl host-config explain revoke report; do
    "$MESHCA_BIN" "$c" --help >"$T_TMP/help" 2>&1; rc=$?
    check_eq "meshca $c --help: exit 0" "$rc" 0
done
check_match "meshca --version" "$("$MESHCA_BIN" --version)" '^meshca [0-9]+\.[0-9]+'
check_eq "an unknown command: usage (exit 2)" "$("$MESHCA_BIN" frobnicate >/dev/null 2>&1; echo $?)" 2
check_eq "status with a bad --min-valid: usage (exit 2)" "$(status_rc --min-valid soon)" 2
