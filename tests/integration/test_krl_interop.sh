#!/usr/bin/env bash
# KRLs built by libmeshca, judged by OpenSSH: `ssh-keygen -Q` agrees with
# meshca's own "is revoked" for revoked and unrevoked certificates, for every
# section meshca writes (serial list, range, key id, SHA-256 fingerprint,
# explicit key); meshca reads KRLs made by `ssh-keygen -k`; thousands of
# serials stay compact; a real sshd refuses exactly the revoked ones.
. "$(dirname "$0")/../lib/harness.sh"
MKCERT=$BUILD/tests/tools/mkcert
MKKRL=$BUILD/tests/tools/mkkrl
cd "$T_TMP" || exit 1

"$MESHCAD_BIN" keygen --type ed25519 --out ca1.pem >ca1.pub 2>>"$T_LOG"
"$MESHCAD_BIN" keygen --type ecdsa-p256 --out ca2.pem >ca2.pub 2>>"$T_LOG"
for u in u1 u2 u3 u4 u5 u6 u7 u8; do ssh-keygen -q -t ed25519 -N '' -f "$u"; done
sign() {  # ca user serial id -> user-cert.pub
    "$MKCERT" sign --ca "$1.pem" --key "$2.pub" --serial "$3" --id "$4" \
        --principal "$T_USER" --principal app --valid-after -60 \
        --valid-before +600 --ext permit-pty --out "$2-cert.pub" 2>>"$T_LOG"
}
sign ca1 u1 5 alice          # revoked: serial in the list
sign ca1 u2 6 bob            # not revoked
sign ca1 u3 150 carol        # revoked: serial in the range 100-200
sign ca1 u4 7 mallory        # revoked: key id
sign ca1 u5 8 erin           # revoked: key SHA-256 fingerprint
sign ca2 u6 5 frank          # not revoked: serial 5 of another CA
sign ca1 u7 201 grace        # not revoked: just past the range
sign ca1 u8 9 heidi          # revoked: explicit key

"$MKKRL" build --out meshca.krl --ca ca1.pub --serial 5 --range 100-200 \
    --key-id mallory --key-sha256 u5.pub --key u8.pub >>"$T_LOG" 2>&1 || bail "mkkrl build failed"
check "ssh-keygen -Q -l lists the KRL" ssh-keygen -Q -l -f meshca.krl
ssh-keygen -Q -l -f meshca.krl >>"$T_LOG" 2>&1

agree() {  # krl cert expected(0 ok / 1 revoked) what
    local s m
    ssh-keygen -Q -f "$1" "$2" >/dev/null 2>&1; s=$?
    "$MKKRL" check --krl "$1" "$2" >/dev/null 2>&1; m=$?
    check_eq "$4: ssh-keygen -Q says $3" "$s" "$3"
    check_eq "$4: meshca agrees with ssh-keygen" "$m" "$s"
}
agree meshca.krl u1-cert.pub 1 "serial list"
agree meshca.krl u2-cert.pub 0 "unrevoked serial"
agree meshca.krl u3-cert.pub 1 "serial range"
agree meshca.krl u4-cert.pub 1 "key id"
agree meshca.krl u5-cert.pub 1 "certificate of a revoked key (SHA-256)"
agree meshca.krl u5.pub 1 "the revoked key itself (SHA-256)"
agree meshca.krl u6-cert.pub 0 "same serial, other CA"
agree meshca.krl u7-cert.pub 0 "serial just past the range"
agree meshca.krl u8-cert.pub 1 "explicit key"
agree meshca.krl u2.pub 0 "an unrevoked plain key"

# KRLs made by ssh-keygen, read by meshca
{
    echo "serial: 6"
    echo "serial: 190-210"
    echo "id: alice"
} >spec
check "ssh-keygen -k makes a KRL" ssh-keygen -q -k -f openssh.krl -s ca1.pub spec
printf 'sha256: %s\n' "$(ssh-keygen -l -f u6.pub | awk '{print $2}')" >spec2
ssh-keygen -q -k -u -f openssh.krl spec2 >>"$T_LOG" 2>&1
for c in u1 u2 u3 u4 u6 u7; do
    ssh-keygen -Q -f openssh.krl "$c-cert.pub" >/dev/null 2>&1; s=$?
    "$MKKRL" check --krl openssh.krl "$c-cert.pub" >/dev/null 2>&1; m=$?
    check_eq "ssh-keygen's KRL, $c: meshca agrees ($s)" "$m" "$s"
done

# Determinism and compaction
"$MKKRL" build --out again.krl --ca ca1.pub --key u8.pub --key-sha256 u5.pub \
    --key-id mallory --range 100-200 --serial 5 >/dev/null 2>&1
check "the same revocations in another order give the same bytes" cmp meshca.krl again.krl
"$MKKRL" build --out range.krl --ca ca1.pub --range 1000-10999 >"$T_TMP/size" 2>>"$T_LOG"
size=$(cat "$T_TMP/size")
echo "# 10,000 consecutive serials: $size bytes"
check "10,000 consecutive serials fit in under 200 bytes ($size)" test "$size" -lt 200
args=()
for i in $(seq 1 10000); do args+=(--serial $(( (RANDOM << 30 | RANDOM << 15 | RANDOM) + 1 ))); done
"$MKKRL" build --out random.krl --ca ca1.pub "${args[@]}" >"$T_TMP/size" 2>>"$T_LOG"
size=$(cat "$T_TMP/size")
echo "# 10,000 random serials: $size bytes ($(( size / 10000 )) bytes per serial)"
check "ssh-keygen accepts the 10,000-serial KRL" ssh-keygen -Q -f random.krl u2-cert.pub
check_fails "mkkrl refuses serial 0 (it would revoke everyone)" "$MKKRL" build --out zero.krl --ca ca1.pub --serial 0

# A real sshd with the meshca KRL
sshd_start "$T_TMP/ca1.pub" "$T_TMP/meshca.krl"
sshd_principals "$T_USER" app
check "sshd accepts an unrevoked certificate" ssh_as u2 u2-cert.pub "$T_USER" true
check "sshd accepts a certificate just past a revoked range" ssh_as u7 u7-cert.pub "$T_USER" true
check_fails "sshd refuses a revoked serial" ssh_as u1 u1-cert.pub "$T_USER" true
check_fails "sshd refuses a serial inside a revoked range" ssh_as u3 u3-cert.pub "$T_USER" true
check_fails "sshd refuses a revoked key id" ssh_as u4 u4-cert.pub "$T_USER" true
check_fails "sshd refuses a certificate of a revoked key fingerprint" ssh_as u5 u5-cert.pub "$T_USER" true
check_fails "sshd refuses a certificate of an explicitly revoked key" ssh_as u8 u8-cert.pub "$T_USER" true
check "sshd logged the revocations" grep -q 'revoked' "$SSHD_DIR/sshd.log"
