#!/bin/sh
# make deps: installs the Debian packages the build and the tests need when any
# is missing, then the npm fixtures under tests/.  Idempotent; silent when all
# is present.
set -eu

PKGS="pkg-config gcc make libssl-dev openssl libssh-dev libmicrohttpd-dev
libcjose-dev libjansson-dev libpq-dev libcurl4-openssl-dev
libgnutls28-dev postgresql postgresql-client openssh-server openssh-client
clang libclang-rt-14-dev curl jq procps iproute2 ca-certificates chromium
golang-go golang-golang-x-mod-dev universal-ctags
libsystemd-dev systemd prometheus mandoc man-db lintian debhelper dpkg-dev fakeroot
bash-completion python3 yq softhsm2 libp11-kit-dev p11-kit opensc"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
# Node.js: Debian's nodejs+npm unless a node with npm is already there (a
# NodeSource nodejs ships its own npm and conflicts with Debian's npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "make deps: installing$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# npm fixtures (the test identity provider).  Reinstall when the lockfile
# changed since the last install.
top=$(cd "$(dirname "$0")/../.." && pwd)
for d in "$top"/tests/idp; do
    [ -f "$d/package-lock.json" ] || continue
    stamp="$d/node_modules/.meshca-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$d/package-lock.json" "$stamp"; then
        echo "make deps: npm ci in ${d#$top/}" >&2
        (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$d/package-lock.json" "$stamp"
    fi
done
