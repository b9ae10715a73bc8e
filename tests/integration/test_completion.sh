#!/usr/bin/env bash
# Bash completion for meshca and meshcad: every subcommand the binaries'
# --help lists completes at the first word, every flag each subcommand's
# --help prints completes after it, and option values (--flow, --format,
# --type) complete to their choices.  The scripts are the installed ones.
. "$(dirname "$0")/../lib/harness.sh"

make -s -C "$MESHCA_TOP" install-data DESTDIR="$T_TMP/root" PREFIX=/usr >>"$T_LOG" 2>&1 ||
    bail "make install-data failed"
COMP=$T_TMP/root/usr/share/bash-completion/completions
for f in meshca meshcad; do
    check "$f's completion is installed and parses" bash -n "$COMP/$f"
done

# complete WORD...: what completing the last word offers, one per line.
complete_words() {
    bash -c '. /usr/share/bash-completion/bash_completion 2>/dev/null
        . "$1/meshca"; . "$1/meshcad"; shift
        [ "$(basename "$1")" = meshcad ] && f=_meshcad || f=_meshca
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
        $f; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}
has() { grep -qx -- "$1" <<<"$2"; }

# meshca: the commands are the indented lines of `meshca --help`.
cmds=$("$MESHCA_BIN" --help | sed -nE 's/^  ([a-z][a-z0-9-]*)  .*/\1/p')
first=$(complete_words "$MESHCA_BIN" "")
check "meshca --help lists commands" test -n "$cmds"
for c in $cmds; do
    check "meshca <TAB> offers $c" has "$c" "$first"
    offered=$(complete_words "$MESHCA_BIN" "$c" --)
    for fl in $("$MESHCA_BIN" "$c" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        [ "$fl" = --help ] && continue
        check "meshca $c --<TAB> offers $fl" has "$fl" "$offered"
    done
done
check_eq "meshca login --flow <TAB> offers device and browser" \
    "$(complete_words "$MESHCA_BIN" login --flow "" | sort | tr '\n' ' ')" "browser device "
check_eq "meshca report --format <TAB> offers html, csv, json" \
    "$(complete_words "$MESHCA_BIN" report --format "" | sort | tr '\n' ' ')" "csv html json "

# meshcad: commands from its usage lines, two-word ones (ledger verify).
first=$(complete_words "$MESHCAD_BIN" "")
for c in serve migrate check keygen ledger log; do
    check "meshcad <TAB> offers $c" has "$c" "$first"
done
check_eq "meshcad ledger <TAB> offers verify" "$(complete_words "$MESHCAD_BIN" ledger "")" verify
check_eq "meshcad log <TAB> offers vkey" "$(complete_words "$MESHCAD_BIN" log "")" vkey
for words in serve migrate check keygen "ledger verify" "log vkey"; do
    offered=$(complete_words "$MESHCAD_BIN" $words --)
    for fl in $("$MESHCAD_BIN" $words --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        [ "$fl" = --help ] && continue
        check "meshcad $words --<TAB> offers $fl" has "$fl" "$offered"
    done
done
check "meshcad keygen --type <TAB> offers ed25519" \
    has ed25519 "$(complete_words "$MESHCAD_BIN" keygen --type "")"
