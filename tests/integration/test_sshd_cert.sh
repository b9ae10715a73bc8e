#!/usr/bin/env bash
# A real sshd trusting a CA made by `meshcad keygen` judges certificates made
# by libmeshca (tests/tools/mkcert): the right principal gets in; a wrong
# principal, an expired or not-yet-valid certificate, an untrusted CA and a
# source-address excluding 127.0.0.1 are refused; force-command runs instead
# of the requested command; with active+next CA keys published (rotation),
# certificates from either key work.
. "$(dirname "$0")/../lib/harness.sh"

MKCERT=$BUILD/tests/tools/mkcert
D=$T_TMP

"$MESHCAD_BIN" keygen --out "$D/ca.pem" >"$D/ca.pub" 2>>"$T_LOG" || bail "meshcad keygen"
"$MESHCAD_BIN" keygen --type ecdsa-p256 --out "$D/ca-next.pem" >"$D/ca-next.pub" 2>>"$T_LOG" ||
    bail "meshcad keygen next"
"$MESHCAD_BIN" keygen --out "$D/rogue.pem" >"$D/rogue.pub" 2>>"$T_LOG" || bail "meshcad keygen rogue"
cp "$D/ca.pub" "$D/trusted"
ssh-keygen -q -t ed25519 -N '' -f "$D/user" >>"$T_LOG" 2>&1 || bail "ssh-keygen user"

sshd_start "$D/trusted"
sshd_principals "$T_USER" payments/api

# cert NAME [mkcert sign options...]: signs $D/user.pub into $D/NAME-cert.pub
cert() {
    local name=$1; shift
    "$MKCERT" sign --key "$D/user.pub" --out "$D/$name-cert.pub" --id "test-$name" "$@" \
        >>"$T_LOG" 2>&1 || bail "mkcert sign $name"
}
# login NAME CMD...: one login with the user key and certificate NAME
login() {
    local name=$1; shift
    ssh_as "$D/user" "$D/$name-cert.pub" "$T_USER" "$@"
}
# log_mentions REGEX [FIXED]: a line of sshd's log (LogLevel VERBOSE)
# matches REGEX (and contains the fixed string FIXED); sshd may write it
# just after the client has gone, so wait a little.
log_mentions() {
    local i
    for ((i = 0; i < 20; i++)); do
        if grep -E "$1" "$SSHD_DIR/sshd.log" | grep -Fq -- "${2:-}"; then return 0; fi
        sleep 0.1
    done
    return 1
}

cert good --ca "$D/ca.pem" --principal payments/api --backdate 30
check "sshd accepts a certificate for a listed principal" login good true
out=$(login good echo hello 2>>"$T_LOG")
check_eq "the command runs as asked" "$out" "hello"

check_fails "sshd refuses the plain key without a certificate" ssh_as "$D/user" "" "$T_USER" true

cert wrongp --ca "$D/ca.pem" --principal payments/worker
check_fails "sshd refuses a certificate for an unlisted principal" login wrongp true
check "sshd logged the principal mismatch" log_mentions "does not contain an authorized principal"

cert expired --ca "$D/ca.pem" --principal payments/api --valid-after -3600 --valid-before -1800
check_fails "sshd refuses an expired certificate" login expired true
check "sshd logged the expiry" log_mentions "[Cc]ertificate invalid: expired"

cert future --ca "$D/ca.pem" --principal payments/api --valid-after +3600 --valid-before +7200
check_fails "sshd refuses a not-yet-valid certificate" login future true
check "sshd logged not yet valid" log_mentions "[Cc]ertificate invalid: not yet valid"

cert rogue --ca "$D/rogue.pem" --principal payments/api
check_fails "sshd refuses a certificate from an untrusted CA" login rogue true
rogue_fp=$(ssh-keygen -l -f "$D/rogue.pub" | awk '{print $2}')
check "sshd saw the certificate and its untrusted CA" \
    log_mentions "Failed publickey .* ID test-rogue " "CA ED25519 $rogue_fp"

cert srcbad --ca "$D/ca.pem" --principal payments/api --source-address 10.0.0.0/8,192.168.0.0/16
check_fails "sshd refuses a source-address that excludes 127.0.0.1" login srcbad true
check "sshd logged the source-address mismatch" log_mentions "not from a permitted source address"

cert srcok --ca "$D/ca.pem" --principal payments/api --source-address 10.0.0.0/8,127.0.0.1/32
check "sshd accepts a source-address that includes 127.0.0.1" login srcok true

cert forced --ca "$D/ca.pem" --principal payments/api --force-command "echo forced-output"
out=$(login forced echo hi 2>>"$T_LOG")
check_eq "force-command runs instead of the requested command" "$out" "forced-output"

# Rotation: publish active + next (the set's TrustedUserCAKeys text).  sshd
# reads TrustedUserCAKeys at each authentication.
"$MKCERT" trusted "$D/ca.pem:active" "$D/ca-next.pem:next" >"$D/trusted.new" 2>>"$T_LOG" ||
    bail "mkcert trusted"
mv "$D/trusted.new" "$D/trusted"
check_eq "the published file has one line per key" "$(wc -l <"$D/trusted")" "2"
cert next --ca "$D/ca-next.pem" --principal payments/api
check "after publishing next: a certificate from the next key works" login next true
check "after publishing next: a certificate from the active key still works" login good true
check_fails "after publishing next: the untrusted CA is still refused" login rogue true

# sshd reads an AuthorizedPrincipalsFile line only up to a '#' (the rest is
# a comment): with 'team#1' listed, a certificate for team#1 (made here by
# ssh-keygen, whose CA sshd trusts too) is still refused.  So libmeshca
# refuses to sign such a principal, as the policy and the request parser
# (all through principal_valid) refuse to name one.
ssh-keygen -q -t ed25519 -N '' -f "$D/kgca" >>"$T_LOG" 2>&1 || bail "ssh-keygen CA"
cat "$D/kgca.pub" >>"$D/trusted"
sshd_principals "$T_USER" payments/api 'team#1'
ssh-keygen -q -s "$D/kgca" -I test-hash -n 'team#1' -V -5m:+1h "$D/user.pub" >>"$T_LOG" 2>&1 ||
    bail "ssh-keygen -s"
mv "$D/user-cert.pub" "$D/hash-cert.pub"
check_fails "sshd refuses a certificate for 'team#1' although the principals file lists it" \
    login hash true
check "sshd logged the refusal of that certificate" \
    log_mentions "Failed publickey .* ID test-hash "
check_fails "libmeshca refuses to sign the principal 'team#1'" \
    "$MKCERT" sign --key "$D/user.pub" --out "$D/hash2-cert.pub" --id test-hash2 --ca "$D/ca.pem" \
    --principal 'team#1'
