#!/usr/bin/env bash
# The Debian packages: `make deb` (dpkg-buildpackage -us -uc -b, offline, in a
# copy of the tree under a temp dir) builds meshcad and meshca; lintian
# reports no errors; `dpkg -i` installs both: the meshcad user exists,
# /etc/meshca is root:meshcad 0750 with the examples 0640, both binaries run
# --version (the package's version), the installed units pass
# `systemd-analyze verify`, the man pages are where man finds them; then
# `dpkg --purge` removes both and the test removes the user, leaving the
# machine as it found it.  Needs root (CI runs as root).  Slow: a full build.
. "$(dirname "$0")/../lib/harness.sh"

if [ "$(id -u)" != 0 ]; then
    ok "# SKIP dpkg -i needs root"
    exit 0
fi
# Never touch a machine that already has them.
for p in meshcad meshca; do
    if dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q installed; then
        bail "package $p is already installed here; not touching it"
    fi
done
getent passwd meshcad >/dev/null && bail "a meshcad user already exists here; not touching it"
[ -e /etc/meshca ] && bail "/etc/meshca already exists here; not touching it"

OUT=$T_TMP/b/deb
before=$(git -C "$MESHCA_TOP" status --porcelain --ignored 2>/dev/null | sort)
make -s -C "$MESHCA_TOP" deb BUILD="$T_TMP/b" TEST_JOBS="${TEST_JOBS:-2}" >>"$T_LOG" 2>&1 ||
    bail "make deb failed"
version=$(dpkg-parsechangelog -l "$MESHCA_TOP/debian/changelog" -S Version)
DEB_D=$(ls "$OUT"/meshcad_"$version"_*.deb 2>/dev/null)
DEB_C=$(ls "$OUT"/meshca_"$version"_*.deb 2>/dev/null)
check "make deb builds meshcad_$version" test -s "$DEB_D"
check "make deb builds meshca_$version" test -s "$DEB_C"
[ -s "$DEB_D" ] && [ -s "$DEB_C" ] || bail "no packages to test"
check_eq "the build left the source tree as it was" \
    "$(git -C "$MESHCA_TOP" status --porcelain --ignored 2>/dev/null | sort)" "$before"

lintian --fail-on error --no-tag-display-limit "$OUT"/meshca_"$version"_*.changes >"$T_TMP/lintian.txt" 2>&1
rc=$?
cat "$T_TMP/lintian.txt" >>"$T_LOG"
check_eq "lintian reports no errors" "$rc $(grep -c '^E:' "$T_TMP/lintian.txt")" "0 0"

contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
for f in /usr/bin/meshcad /lib/systemd/system/meshcad.service /etc/meshca/meshcad.json.example \
    /etc/meshca/policy.json.example /usr/share/man/man8/meshcad.8.gz \
    /usr/share/man/man5/meshcad.json.5.gz /usr/share/man/man5/meshca-policy.5.gz \
    /usr/share/meshca/prometheus/meshca-rules.yml; do
    check "meshcad carries $f" grep -qx "$f" <(contents "$DEB_D")
done
for f in /usr/bin/meshca /lib/systemd/system/meshca-refresh.service \
    /lib/systemd/system/meshca-refresh.timer /usr/share/man/man1/meshca.1.gz \
    /usr/share/bash-completion/completions/meshca; do
    check "meshca carries $f" grep -qx "$f" <(contents "$DEB_C")
done

at_exit "dpkg --purge meshca meshcad; userdel meshcad; groupdel meshcad; rm -rf /etc/meshca"
check "dpkg -i installs both packages" dpkg -i "$DEB_D" "$DEB_C"
check "the meshcad system user exists" getent passwd meshcad
check_match "it is a system user without a login shell" \
    "$(getent passwd meshcad | cut -d: -f3,7)" '^[0-9]{1,3}:/usr/sbin/nologin$'
check_eq "/etc/meshca is root:meshcad 0750" "$(stat -c '%U:%G %a' /etc/meshca)" "root:meshcad 750"
check_eq "the example config is root:meshcad 0640" \
    "$(stat -c '%U:%G %a' /etc/meshca/meshcad.json.example)" "root:meshcad 640"
check_eq "the example policy is root:meshcad 0640" \
    "$(stat -c '%U:%G %a' /etc/meshca/policy.json.example)" "root:meshcad 640"
upstream=${version%%-*}
check_eq "meshcad --version runs and says $upstream" "$(/usr/bin/meshcad --version)" "meshcad $upstream"
check_eq "meshca --version runs and says $upstream" "$(/usr/bin/meshca --version)" "meshca $upstream"
check "systemd-analyze verify passes on the installed units" systemd-analyze verify \
    /lib/systemd/system/meshcad.service /lib/systemd/system/meshca-refresh.service \
    /lib/systemd/system/meshca-refresh.timer
check "man finds meshcad(8)" man -w 8 meshcad
check "man finds meshca(1)" man -w 1 meshca

check "dpkg --purge removes both" dpkg --purge meshca meshcad
check "the binaries are gone" test ! -e /usr/bin/meshcad -a ! -e /usr/bin/meshca
check "/etc/meshca is gone" test ! -e /etc/meshca
userdel meshcad >>"$T_LOG" 2>&1
getent group meshcad >/dev/null && groupdel meshcad >>"$T_LOG" 2>&1
check_fails "the meshcad user is removed" getent passwd meshcad
