#!/usr/bin/env bash
# The man pages: mandoc -T lint is clean on each; `make install-data` installs
# them where man(1) finds them; and the flags every `--help` prints agree with
# the man pages, command by command (tests/lib/helpman.py names the flag
# missing and where, so a new flag or subcommand fails here until its man
# page says it).
. "$(dirname "$0")/../lib/harness.sh"
MAN=$MESHCA_TOP/man

for page in meshca.1 meshcad.8 meshcad.json.5 meshca-policy.5; do
    # "referenced manual not found" depends on what this machine has
    # installed (and on mandoc.db), not on the page: the rest must be empty.
    lint=$(mandoc -T lint "$MAN/$page" 2>&1 |
        grep -v -e 'STYLE: referenced manual not found' -e 'outdated mandoc.db')
    check_eq "mandoc -T lint is clean on $page" "$lint" ""
    check "$page renders" bash -c "mandoc -T ascii '$MAN/$page' | sed 's/.\\x08//g' | grep -q '^NAME'"
done

make -s -C "$MESHCA_TOP" install-data DESTDIR="$T_TMP/root" PREFIX=/usr >>"$T_LOG" 2>&1 ||
    bail "make install-data failed"
for f in man1/meshca.1 man8/meshcad.8 man5/meshcad.json.5 man5/meshca-policy.5; do
    check "make install-data installs /usr/share/man/$f" test -s "$T_TMP/root/usr/share/man/$f"
done
check "man finds meshcad(8) in the installed tree" \
    bash -c "MANPATH='$T_TMP/root/usr/share/man' man -w 8 meshcad | grep -q man8/meshcad.8"

for pair in "$MESHCA_BIN:$MAN/meshca.1" "$MESHCAD_BIN:$MAN/meshcad.8"; do
    while IFS=$'\t' read -r status desc; do
        if [ "$status" = ok ]; then ok "$desc"; else echo "$desc" >>"$T_LOG"; not_ok "$desc"; fi
    done < <(python3 "$MESHCA_TOP/tests/lib/helpman.py" "${pair%%:*}" "${pair#*:}" 2>>"$T_LOG" ||
        true)
done
