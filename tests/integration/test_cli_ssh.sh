#!/usr/bin/env bash
# meshca ssh, ssh-config --install and profiles against the real identity
# provider, PostgreSQL, meshcad and a loopback sshd.  meshca ssh logs in only
# when it must: the first run logs in (a token file) and reaches sshd, the
# second reuses the certificate (same serial; the token, already used, would
# be refused); --min-valid above what is left logs in again.  ssh-config
# --install adds the Include line to ~/.ssh/config after a backup, once, and
# ssh -F ~/.ssh/config then logs in.  Two profiles coexist: each login keeps
# the other's certificate in the agent and files; a profile's "server" in
# the config is used.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"

idp_start
stack_start_login
unset MESHCA_PROFILE
"$MESHCA_BIN" ca-keys --output "$T_TMP/trusted.pub" >>"$T_LOG" 2>&1
sshd_start "$T_TMP/trusted.pub"
sshd_principals "$T_USER" payments/api
agent_start

SSHOPTS=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o LogLevel=ERROR -p "$SSHD_PORT" "$T_USER@127.0.0.1")
new_token() {  # new_token FILE: a fresh ID token for alice
    next_second
    node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" alice >"$1" 2>>"$T_LOG"
}
serial() { "$MESHCA_BIN" "$@" status --json | jq -r .serial; }

# --- meshca ssh: logs in once, then reuses the certificate
new_token "$T_TMP/tok1"
out=$("$MESHCA_BIN" ssh --token-file "$T_TMP/tok1" -- "${SSHOPTS[@]}" echo hello-from-sshd 2>"$T_TMP/ssh1.err"); rc=$?
cat "$T_TMP/ssh1.err" >>"$T_LOG"
check_eq "meshca ssh without a certificate: ssh's exit 0" "$rc" 0
check_eq "ssh's standard output is the remote command's alone" "$out" hello-from-sshd
check_match "it logged in first (said on stderr)" "$(cat "$T_TMP/ssh1.err")" 'Logged in: '
s1=$(serial)
check_match "a certificate is installed" "$s1" '^[0-9]+$'
out=$("$MESHCA_BIN" ssh --token-file "$T_TMP/tok1" -- "${SSHOPTS[@]}" echo again 2>"$T_TMP/ssh2.err"); rc=$?
cat "$T_TMP/ssh2.err" >>"$T_LOG"
check_eq "the second meshca ssh: exit 0" "$rc" 0
check_eq "and ran the command" "$out" again
check_fails "without logging in" grep -q 'Logged in' "$T_TMP/ssh2.err"
check_eq "the same certificate (serial)" "$(serial)" "$s1"
check_eq "ssh's exit status is meshca ssh's" "$("$MESHCA_BIN" ssh --token-file "$T_TMP/tok1" -- "${SSHOPTS[@]}" 'exit 7' 2>>"$T_LOG"; echo $?)" 7
new_token "$T_TMP/tok2"
out=$("$MESHCA_BIN" ssh --min-valid 1h --token-file "$T_TMP/tok2" -- "${SSHOPTS[@]}" echo renewed 2>"$T_TMP/ssh3.err"); rc=$?
cat "$T_TMP/ssh3.err" >>"$T_LOG"
check_eq "--min-valid above what is left: exit 0" "$rc" 0
check_match "logs in again" "$(cat "$T_TMP/ssh3.err")" 'Logged in: '
check_fails "a new certificate (serial)" test "$(serial)" = "$s1"
check_eq "no destination: usage (exit 2)" "$("$MESHCA_BIN" ssh >/dev/null 2>&1; echo $?)" 2
"$MESHCA_BIN" logout >/dev/null 2>&1

# meshca ssh with a login to files (no agent): -i is added for ssh
new_token "$T_TMP/tok3"
out=$(unset SSH_AUTH_SOCK; "$MESHCA_BIN" ssh --token-file "$T_TMP/tok3" -- -o IdentityAgent=none "${SSHOPTS[@]}" echo files 2>>"$T_LOG"); rc=$?
check_eq "meshca ssh with files and no agent: exit 0" "$rc" 0
check_eq "and ssh used them" "$out" files

# --- ssh-config --install: the Include line, after a backup, once
mkdir -p "$HOME/.ssh"
printf 'Host *\n    ServerAliveInterval 30\n' >"$HOME/.ssh/config"
chmod 600 "$HOME/.ssh/config"
cp "$HOME/.ssh/config" "$T_TMP/config.orig"
out=$("$MESHCA_BIN" ssh-config --install 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "ssh-config --install: exit 0" "$rc" 0
check_match "says it added the Include" "$out" 'Added "Include .*/\.ssh/config\.d/meshca\.conf" at the top of ~/.ssh/config'
check_match "the first lines are the Include, before any Host" "$(grep -v '^#' "$HOME/.ssh/config" | head -n 1)" "^Include $HOME/.ssh/config.d/meshca.conf\$"
bak=$(ls "$HOME"/.ssh/config.meshca-*.bak 2>/dev/null | head -n 1)
check "the old config is backed up" cmp "$bak" "$T_TMP/config.orig"
check "the old lines are kept" grep -q 'ServerAliveInterval 30' "$HOME/.ssh/config"
check_eq "the config stays 0600" "$(stat -c %a "$HOME/.ssh/config")" 600
check "ssh -G accepts the new config" ssh -G -F "$HOME/.ssh/config" example.com
check "ssh with ~/.ssh/config alone logs in with the files" ssh -F "$HOME/.ssh/config" -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentityAgent=none \
    -o LogLevel=ERROR -p "$SSHD_PORT" "$T_USER@127.0.0.1" true
out=$("$MESHCA_BIN" ssh-config --install 2>&1)
check_match "a second --install: already there" "$out" 'already includes it'
check_eq "the Include is there once" "$(grep -c '^Include' "$HOME/.ssh/config")" 1
check_eq "one backup" "$(ls "$HOME"/.ssh/config.meshca-*.bak | wc -l)" 1
printf 'Include config.d/*.conf\n' >"$HOME/.ssh/config"
out=$("$MESHCA_BIN" ssh-config --install 2>&1)
check_match "an Include glob that covers it counts" "$out" 'already includes it'
# An Include inside a Host block is read only for that host: it does not count.
printf 'Host other\n    Include config.d/meshca.conf\n' >"$HOME/.ssh/config"
out=$("$MESHCA_BIN" ssh-config --install 2>&1)
check_match "an Include inside a Host block does not count: one is added" "$out" 'Added "Include'
check_match "at the top, for every host" "$(grep -v '^#' "$HOME/.ssh/config" | head -n 1)" "^Include $HOME/.ssh/config.d/meshca.conf\$"
check "ssh -G now reads the certificates for any host" \
    grep -q "certificatefile $HOME/.ssh/meshca/id_ed25519-cert.pub" <(ssh -G -F "$HOME/.ssh/config" example.com)
rm -f "$HOME/.ssh/config"
out=$("$MESHCA_BIN" ssh-config --install 2>&1)
check_match "no ~/.ssh/config: created" "$out" 'Created ~/.ssh/config'
check "with the Include" grep -q "^Include $HOME/.ssh/config.d/meshca.conf" "$HOME/.ssh/config"
"$MESHCA_BIN" logout >/dev/null 2>&1

# --- profiles: two logins coexist
new_token "$T_TMP/tokA"
check "login --profile work (agent)" "$MESHCA_BIN" --profile work login --token-file "$T_TMP/tokA"
new_token "$T_TMP/tokB"
check "login --profile lab (agent)" "$MESHCA_BIN" login --profile lab --token-file "$T_TMP/tokB"
check_eq "the agent holds both certificates" "$(ssh-add -l | grep -c CERT)" 2
check_match "each named by its profile" "$(ssh-add -l)" '\(meshca profile work\).*|\(meshca profile lab\)'
check_eq "both profiles are named" "$(ssh-add -l | grep -c 'meshca profile \(work\|lab\)')" 2
check_eq "status --profile work: valid" "$("$MESHCA_BIN" --profile work status >/dev/null; echo $?)" 0
check_eq "MESHCA_PROFILE=lab status: valid" "$(MESHCA_PROFILE=lab "$MESHCA_BIN" status >/dev/null; echo $?)" 0
check_fails "two different certificates" test "$(serial --profile work)" = "$(serial --profile lab)"
check_eq "the default profile has none" "$("$MESHCA_BIN" status >/dev/null; echo $?)" 2
check "each has its own state file" test -f "$HOME/.config/meshca/state-work.json" -a -f "$HOME/.config/meshca/state-lab.json"
check "logout --profile work" "$MESHCA_BIN" logout --profile work
check_eq "lab's certificate stays in the agent" "$(ssh-add -l | grep -c CERT)" 1
check_eq "status lab: still valid" "$("$MESHCA_BIN" status --profile lab >/dev/null; echo $?)" 0
check "and ssh works with it" ssh -o IdentityAgent="$SSH_AUTH_SOCK" "${SSHOPTS[@]}" true
out=$("$MESHCA_BIN" ssh --profile lab -- "${SSHOPTS[@]}" echo via-lab 2>"$T_TMP/sp.err"); rc=$?
cat "$T_TMP/sp.err" >>"$T_LOG"
check_eq "meshca ssh --profile lab reuses lab's certificate" "$rc:$out" "0:via-lab"
check_fails "without logging in" grep -q 'Logged in' "$T_TMP/sp.err"
new_token "$T_TMP/tokW"
out=$("$MESHCA_BIN" ssh --profile work --token-file "$T_TMP/tokW" -- "${SSHOPTS[@]}" echo via-work 2>"$T_TMP/sw.err"); rc=$?
cat "$T_TMP/sw.err" >>"$T_LOG"
check_eq "meshca ssh --profile work (logged out there): exit 0" "$rc:$out" "0:via-work"
check_match "it logged work in" "$(cat "$T_TMP/sw.err")" 'Logged in: '
check_eq "and lab's certificate stayed in the agent beside work's" "$(ssh-add -l | grep -c CERT)" 2
"$MESHCA_BIN" --profile work logout >/dev/null 2>&1
new_token "$T_TMP/tokC"
check "login --profile ci --files" "$MESHCA_BIN" --profile ci login --files --token-file "$T_TMP/tokC"
check "ci's files are under ~/.ssh/meshca-ci" test -f "$HOME/.ssh/meshca-ci/id_ed25519-cert.pub"
check_eq "lab's agent certificate is untouched" "$(ssh-add -l | grep -c CERT)" 1
check "ssh -i with ci's files works" ssh -o IdentityAgent=none -i "$HOME/.ssh/meshca-ci/id_ed25519" "${SSHOPTS[@]}" true
"$MESHCA_BIN" --profile lab logout >/dev/null 2>&1
"$MESHCA_BIN" --profile ci logout >/dev/null 2>&1

# A profile's own server (and the top level's for the others)
mkdir -p "$HOME/.config/meshca"
dead=$(free_port)
printf '{"server": "%s", "profiles": {"main": {}, "other": {"server": "https://127.0.0.1:%s"}}}\n' \
    "$MESHCAD_URL" "$dead" >"$HOME/.config/meshca/config.json"
check "profile main: the top level's server" env -u MESHCA_SERVER "$MESHCA_BIN" --profile main ca-keys --output "$T_TMP/m.pub"
out=$(env -u MESHCA_SERVER "$MESHCA_BIN" --profile other ca-keys --output - 2>&1); rc=$?
check_eq "profile other: its own server (down here: exit 3)" "$rc" 3
check_match "named in the message" "$out" "https://127.0.0.1:$dead/v1/ca-keys"
out=$(env -u MESHCA_SERVER "$MESHCA_BIN" --profile nope ca-keys --output - 2>&1); rc=$?
check_eq "a profile the config does not have: usage (exit 2)" "$rc" 2
check_match "naming the ones it has" "$out" 'profile "nope" is not in "profiles" \(it has: main, other\)'
check_eq "a bad profile name: usage (exit 2)" "$("$MESHCA_BIN" --profile ../x status >/dev/null 2>&1; echo $?)" 2
rm -f "$HOME/.config/meshca/config.json"
