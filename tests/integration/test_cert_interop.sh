#!/usr/bin/env bash
# Certificates made by libmeshca, read by the tools users rely on, and
# certificates made by ssh-keygen, read by libmeshca.
#  1. For every CA key type meshcad keygen makes (ed25519, ecdsa-p256,
#     ecdsa-p384, rsa-3072) and every user key type ssh-keygen makes here
#     (ed25519, ecdsa 256/384/521, rsa 2048/3072): `ssh-keygen -L` shows
#     exactly the type, signing CA, key id, serial, validity, principals,
#     critical options and extensions asked for; libssh imports it; one
#     flipped byte makes ssh-keygen -L (and libmeshca) refuse it.
#  2. ssh-keygen -s certificates (CAs in OpenSSH format) parse in libmeshca
#     with every field as ssh-keygen was told, and tampering is detected.
#  3. meshcad keygen: mode 0600, refuses to overwrite, usage errors exit 2,
#     its public line is accepted by ssh-keygen -l.
. "$(dirname "$0")/../lib/harness.sh"

export TZ=UTC
MKCERT=$BUILD/tests/tools/mkcert
LIBSSH=$BUILD/tests/tools/libssh-import
D=$T_TMP

# --- 3. meshcad keygen ---------------------------------------------------
for ca in ed25519 ecdsa-p256 ecdsa-p384 rsa-3072; do
    "$MESHCAD_BIN" keygen --type "$ca" --out "$D/ca-$ca.pem" >"$D/ca-$ca.pub" 2>>"$T_LOG" ||
        bail "meshcad keygen --type $ca"
done
check_eq "meshcad keygen writes the key with mode 0600" "$(stat -c %a "$D/ca-ed25519.pem")" "600"
check_match "meshcad keygen writes PKCS#8 PEM" "$(head -n 1 "$D/ca-rsa-3072.pem")" \
    "^-----BEGIN PRIVATE KEY-----$"
check "ssh-keygen -l accepts the public line meshcad keygen printed" \
    ssh-keygen -l -f "$D/ca-ecdsa-p384.pub"
check_eq "the printed line is the key in the file" \
    "$("$MKCERT" pubkey "$D/ca-ecdsa-p256.pem")" "$(cat "$D/ca-ecdsa-p256.pub")"
cp "$D/ca-ed25519.pem" "$D/before.pem"
"$MESHCAD_BIN" keygen --out "$D/ca-ed25519.pem" >"$D/out" 2>>"$T_LOG"
rc=$?
check_eq "meshcad keygen refuses to overwrite (exit 1)" "$rc" "1"
check "the existing key is left untouched" cmp "$D/ca-ed25519.pem" "$D/before.pem"
check_eq "nothing is printed on stdout when it refuses" "$(cat "$D/out")" ""
"$MESHCAD_BIN" keygen --type dsa --out "$D/x.pem" >>"$T_LOG" 2>&1
check_eq "meshcad keygen --type dsa is a usage error (exit 2)" "$?" "2"
"$MESHCAD_BIN" keygen --type ed25519 >>"$T_LOG" 2>&1
check_eq "meshcad keygen without --out is a usage error (exit 2)" "$?" "2"
"$MESHCAD_BIN" keygen --out "$D/y.pem" --bogus >>"$T_LOG" 2>&1
check_eq "meshcad keygen with an unknown flag is a usage error (exit 2)" "$?" "2"
check_fails "no file is created on a usage error" test -e "$D/x.pem" -o -e "$D/y.pem"
"$MESHCAD_BIN" keygen --out "$D/nodir/z.pem" >>"$T_LOG" 2>&1
check_eq "meshcad keygen into a missing directory fails (exit 1)" "$?" "1"

# --- 1. meshca certificates read by ssh-keygen and libssh -----------------
declare -A UARGS=(
    [ed25519]="-t ed25519" [ecdsa256]="-t ecdsa -b 256" [ecdsa384]="-t ecdsa -b 384"
    [ecdsa521]="-t ecdsa -b 521" [rsa2048]="-t rsa -b 2048" [rsa3072]="-t rsa -b 3072")
declare -A UCERT=(
    [ed25519]=ssh-ed25519-cert-v01@openssh.com
    [ecdsa256]=ecdsa-sha2-nistp256-cert-v01@openssh.com
    [ecdsa384]=ecdsa-sha2-nistp384-cert-v01@openssh.com
    [ecdsa521]=ecdsa-sha2-nistp521-cert-v01@openssh.com
    [rsa2048]=ssh-rsa-cert-v01@openssh.com [rsa3072]=ssh-rsa-cert-v01@openssh.com)
declare -A CASIG=([ed25519]="ED25519 ssh-ed25519" [ecdsa-p256]="ECDSA ecdsa-sha2-nistp256"
    [ecdsa-p384]="ECDSA ecdsa-sha2-nistp384" [rsa-3072]="RSA rsa-sha2-512")
USERS="ed25519 ecdsa256 ecdsa384 ecdsa521 rsa2048 rsa3072"
for u in $USERS; do
    # shellcheck disable=SC2086
    ssh-keygen -q ${UARGS[$u]} -N '' -C "user-$u" -f "$D/u-$u" >>"$T_LOG" 2>&1 ||
        bail "ssh-keygen $u"
done

# section FILE HEADER: the items listed under "HEADER:" in ssh-keygen -L
# output, one per line.
section() {
    awk -v h="$2:" '
        /^        [^ ]/ { l = $0; sub(/^ +/, "", l); sub(/ +$/, "", l);
                          inside = (l == h); next }
        inside && /^                / { sub(/^ +/, ""); print }' "$1"
}
# field FILE NAME: the value after "NAME: " in ssh-keygen -L output.
field() {
    sed -n "s/^        $2: //p" "$1"
}
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S; }

# flip FILE OUT: the certificate line in FILE with one byte of its blob
# (OFFSET bytes before the end) inverted, written to OUT.
flip() {
    local type b64 len pos orig
    read -r type b64 _ <"$1"
    printf '%s' "$b64" | base64 -d >"$D/blob" || return 1
    len=$(stat -c %s "$D/blob")
    pos=$((len - ${3:-20}))
    orig=$(dd if="$D/blob" bs=1 skip="$pos" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    # shellcheck disable=SC2059
    printf "$(printf '\\%03o' $((orig ^ 0x55)))" |
        dd of="$D/blob" bs=1 seek="$pos" conv=notrunc 2>/dev/null
    echo "$type $(base64 -w0 "$D/blob")" >"$2"
}

now=$(date +%s)
after=$((now - 120))
before=$((now + 3600))
serial=1000
for ca in ed25519 ecdsa-p256 ecdsa-p384 rsa-3072; do
    ca_fp=$(ssh-keygen -l -f "$D/ca-$ca.pub" | awk '{print $2}')
    read -r ca_kind ca_alg <<<"${CASIG[$ca]}"
    for u in $USERS; do
        serial=$((serial + 7919))
        tag="$ca CA, $u key"
        cert="$D/c-$ca-$u.pub"
        "$MKCERT" sign --ca "$D/ca-$ca.pem" --key "$D/u-$u.pub" --out "$cert" \
            --serial "$serial" --id "kid $u@$ca" \
            --principal "payments/api" --principal "ops/$u" --principal "$T_USER" \
            --valid-after "$after" --valid-before "$before" \
            --force-command "/usr/bin/id -u" --source-address "127.0.0.1/32,10.0.0.0/8" \
            --ext permit-pty --ext permit-port-forwarding --ext login@example.com \
            >>"$T_LOG" 2>&1 || { not_ok "$tag: mkcert sign"; continue; }
        if ! ssh-keygen -L -f "$cert" >"$D/L" 2>>"$T_LOG"; then
            not_ok "$tag: ssh-keygen -L reads the certificate"
            continue
        fi
        ok "$tag: ssh-keygen -L reads the certificate"
        check_eq "$tag: type" "$(field "$D/L" Type)" "${UCERT[$u]} user certificate"
        check_eq "$tag: signing CA" "$(field "$D/L" "Signing CA")" \
            "$ca_kind $ca_fp (using $ca_alg)"
        check_eq "$tag: key id" "$(field "$D/L" "Key ID")" "\"kid $u@$ca\""
        check_eq "$tag: serial" "$(field "$D/L" Serial)" "$serial"
        check_eq "$tag: validity" "$(field "$D/L" Valid)" \
            "from $(utc "$after") to $(utc "$before")"
        check_eq "$tag: principals" "$(section "$D/L" Principals | paste -sd,)" \
            "payments/api,ops/$u,$T_USER"
        check_eq "$tag: critical options" "$(section "$D/L" "Critical Options" | paste -sd'|')" \
            "force-command /usr/bin/id -u|source-address 127.0.0.1/32,10.0.0.0/8"
        # ssh-keygen marks vendor extensions it does not know as flags.
        check_eq "$tag: extensions (sorted)" "$(section "$D/L" Extensions | paste -sd,)" \
            "login@example.com UNKNOWN FLAG OPTION,permit-port-forwarding,permit-pty"
        check_eq "$tag: public key is the user's" \
            "$(field "$D/L" "Public key" | awk '{print $2}')" \
            "$(ssh-keygen -l -f "$D/u-$u.pub" | awk '{print $2}')"
        check_eq "$tag: libssh imports it" "$("$LIBSSH" cert "$cert" 2>>"$T_LOG")" "${UCERT[$u]}"
        flip "$cert" "$D/bad.pub"
        check_fails "$tag: a flipped signature byte makes ssh-keygen -L fail" \
            ssh-keygen -L -f "$D/bad.pub"
        check_fails "$tag: and libmeshca refuses it too" "$MKCERT" show "$D/bad.pub"
    done
done
# A byte flipped in the signed part (the key id), not the signature.
flip "$D/c-ed25519-ed25519.pub" "$D/bad2.pub" 200
check_fails "a flipped byte in the signed body makes ssh-keygen -L fail" \
    ssh-keygen -L -f "$D/bad2.pub"

# --- 2. ssh-keygen certificates read by libmeshca -------------------------
for t in ed25519 ecdsa rsa; do
    ssh-keygen -q -t "$t" -N '' -C "sk-ca-$t" -f "$D/sca-$t" >>"$T_LOG" 2>&1 || bail "ssh-keygen CA $t"
done
for t in ed25519 ecdsa rsa; do
    for u in ed25519 ecdsa384 rsa2048; do
        tag="ssh-keygen $t CA, $u key"
        cp "$D/u-$u.pub" "$D/s.pub"
        if ! ssh-keygen -q -s "$D/sca-$t" -I "id-$t-$u" -z 4242 -n "alice,payments/api" \
            -V 20300101000000:20300101001000 -O clear -O permit-pty -O permit-agent-forwarding \
            -O force-command=/bin/true -O source-address=192.168.0.0/16 "$D/s.pub" >>"$T_LOG" 2>&1; then
            not_ok "$tag: ssh-keygen -s"
            continue
        fi
        if ! "$MKCERT" show "$D/s-cert.pub" >"$D/S" 2>>"$T_LOG"; then
            not_ok "$tag: libmeshca parses and verifies it"
            continue
        fi
        ok "$tag: libmeshca parses and verifies it"
        got=$(grep -E '^(type|key_id|serial|principal|valid_after|valid_before|option|extension) ' "$D/S")
        want=$(printf '%s\n' "type ${UCERT[$u]}" "serial 4242" "key_id id-$t-$u" \
            "principal alice" "principal payments/api" \
            "valid_after $(date -u -d '2030-01-01 00:00:00' +%s)" \
            "valid_before $(date -u -d '2030-01-01 00:10:00' +%s)" \
            "option force-command /bin/true" "option source-address 192.168.0.0/16" \
            "extension permit-agent-forwarding" "extension permit-pty")
        check_eq "$tag: every field as ssh-keygen was told" "$got" "$want"
        check_eq "$tag: the CA key is ssh-keygen's" "$(sed -n 's/^ca_key //p' "$D/S")" \
            "$(cut -d' ' -f1,2 "$D/sca-$t.pub")"
        flip "$D/s-cert.pub" "$D/sbad.pub"
        check_fails "$tag: libmeshca refuses it with a flipped byte" "$MKCERT" show "$D/sbad.pub"
    done
done
