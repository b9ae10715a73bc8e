#!/usr/bin/env bash
# Source structure (issue #14), checked on the tree, no servers:
#   - the graph of #include "..." edges among api/*.c and api/*.h has no
#     cycle.  A module is a file's basename without its extension (issue.c
#     and issue.h are module "issue"); only includes of files in api/ count.
#   - no function in the directories of LEN_DIRS is longer than
#     FUNC_MAX_LINES lines (universal-ctags finds the functions; a function
#     counts from the line with its name to its closing brace).
# Both checks are first run on planted examples, so a broken checker fails
# instead of passing everything.
. "$(dirname "$0")/../lib/harness.sh"
cd "$MESHCA_TOP" || bail "no source tree"

FUNC_MAX_LINES=${FUNC_MAX_LINES:-120}
LEN_DIRS=${LEN_DIRS:-"ca api cli"}

# include_edges DIR: "from to" lines, one per #include "x.h" of a file in DIR.
include_edges() {
    local dir=$1 f from inc
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        from=$(basename "$f"); from=${from%.*}
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
        while read -r inc; do
            [ -f "$dir/$inc" ] || continue   # meshca/..., system, other trees
            inc=$(basename "$inc"); inc=${inc%.*}
            [ "$inc" = "$from" ] || echo "$from $inc"
        done
    done | sort -u
}

# find_cycle: reads "from to" edges on stdin; prints one cycle as
# "a -> b -> a" and exits 0 when there is one, exits 1 when there is none.
find_cycle() {
    local -A adj=() color=()
    local -a nodes=() path=()
    local from to n
    while read -r from to; do
        adj[$from]+=" $to"
        [ -n "${color[$from]+x}" ] || { color[$from]=0; nodes+=("$from"); }
        [ -n "${color[$to]+x}" ] || { color[$to]=0; nodes+=("$to"); }
    done
    # visit N: depth first; color 1 = on the current path, 2 = done.
    visit() {
        local n=$1 m i
        color[$n]=1
        path+=("$n")
        for m in ${adj[$n]:-}; do
            if [ "${color[$m]}" = 1 ]; then
                local out=""
                for ((i = 0; i < ${#path[@]}; i++)); do
                    [ -n "$out" ] || [ "${path[$i]}" = "$m" ] || continue
                    out+="${path[$i]} -> "
                done
                echo "$out$m"
                return 0
            fi
            if [ "${color[$m]}" = 0 ] && visit "$m"; then return 0; fi
        done
        unset 'path[${#path[@]}-1]'
        color[$n]=2
        return 1
    }
    for n in "${nodes[@]}"; do
        if [ "${color[$n]}" = 0 ] && visit "$n"; then return 0; fi
    done
    return 1
}

# long_functions FILE...: "file:function N" for each longer than the limit.
long_functions() {
    ctags -x --kinds-c=f --_xformat="%{input}:%{name} %{line} %{end}" "$@" |
        awk -v max="$FUNC_MAX_LINES" '$3 != "" && $3 - $2 + 1 > max {
            print $1, $3 - $2 + 1 }'
}

command -v ctags >/dev/null && ctags --version 2>/dev/null | grep -q 'Universal Ctags' ||
    bail "universal-ctags is required (make deps installs it)"

# The checkers themselves, on planted examples.
cyc=$(printf 'a b\nb c\nc a\nc d\n' | find_cycle)
check_eq "cycle finder: finds a planted cycle" "$cyc" "a -> b -> c -> a"
check_fails "cycle finder: a DAG has no cycle" \
    find_cycle < <(printf 'a b\nb c\na c\nc d\n')
mkdir -p "$T_TMP/plant"
{
    echo '#include "b.h"'
} >"$T_TMP/plant/a.c"
echo '#include "a.h"' >"$T_TMP/plant/b.h"
: >"$T_TMP/plant/a.h"
check_eq "include edges: a .c belongs to its .h" \
    "$(include_edges "$T_TMP/plant" | find_cycle)" "a -> b -> a"
{
    echo 'int long_one(void);'
    echo 'int'
    echo 'long_one(void)'
    echo '{'
    for ((i = 0; i < FUNC_MAX_LINES; i++)); do echo '    (void)0;'; done
    echo '    return 0;'
    echo '}'
    echo 'static int'
    echo 'short_one(void)'
    echo '{'
    echo '    return 1;'
    echo '}'
} >"$T_TMP/plant/len.c"
check_eq "function length: finds a planted long function" \
    "$(long_functions "$T_TMP/plant/len.c" | sed 's|.*/||')" \
    "len.c:long_one $((FUNC_MAX_LINES + 4))"

# The tree.
edges=$(include_edges api)
[ -n "$edges" ] || bail "no include edges found in api/"
echo "$edges" >>"$T_LOG"
if cyc=$(find_cycle <<<"$edges"); then
    echo "include cycle: $cyc" >>"$T_LOG"
    not_ok "api/: the include graph has no cycle (found $cyc)"
else
    ok "api/: the include graph has no cycle ($(wc -l <<<"$edges") edges)"
fi

for d in $LEN_DIRS; do
    files=("$d"/*.c)
    nfuncs=$(ctags -x --kinds-c=f --_xformat="%{name}" "${files[@]}" | wc -l)
    [ "$nfuncs" -gt 0 ] || bail "ctags found no function in $d/"
    long=$(long_functions "${files[@]}")
    if [ -z "$long" ]; then
        ok "$d/: no function longer than $FUNC_MAX_LINES lines ($nfuncs functions)"
    else
        echo "$long" >>"$T_LOG"
        not_ok "$d/: no function longer than $FUNC_MAX_LINES lines (longer: $(echo "$long" | tr '\n' ' '))"
    fi
done
