#!/usr/bin/env bash
# The documentation refers only to what the repository has: every relative
# link in README.md and docs/*.md resolves, every repository path named in
# backquotes exists, and no document points at files outside it (the old
# README's NOTES-LIBRARIES.md).  The README keeps to what meshca is, the two
# commands and where to read next; each operator topic has its page.
. "$(dirname "$0")/../lib/harness.sh"
cd "$MESHCA_TOP" || bail "no source tree"

while IFS=$'\t' read -r status desc; do
    if [ "$status" = ok ]; then ok "$desc"; else not_ok "$desc"; fi
done < <(python3 - README.md docs/*.md man/* contrib/etc/README <<'PY'
import os, re, sys
top_dirs = ('ca/', 'api/', 'cli/', 'tests/', 'contrib/', 'man/', 'docs/', 'debian/',
            'migrations/', 'include/')
bad_any = False
for path in sys.argv[1:]:
    text = open(path).read()
    problems = []
    for m in re.finditer(r'\]\(([^)\s]+)\)', text):
        target = m.group(1)
        if re.match(r'[a-z]+:', target) or target.startswith('#'):
            continue
        f = os.path.normpath(os.path.join(os.path.dirname(path), target.split('#')[0]))
        if not os.path.exists(f):
            problems.append('link to %s (no such file)' % target)
    for m in re.finditer(r'`([^`\s]+)`', text):
        t = m.group(1).rstrip('.,:;')
        if t.startswith(top_dirs) and not re.search(r'[*{}<>$]|\.\.\.', t):
            f = t.split(':')[0]
            # built from f.c (tests/bench/loadgen), or a directory made on
            # demand under one that exists (tests/fuzz/regress/)
            if not (os.path.exists(f) or os.path.exists(f + '.c') or
                    (f.endswith('/') and os.path.isdir(os.path.dirname(f.rstrip('/'))))):
                problems.append('names %s, which the repository does not have' % t)
    for name in ('NOTES-LIBRARIES', 'DESIGN.md', 'STYLE.md', '/work/'):
        if name in text:
            problems.append('refers to %s, outside the repository' % name)
    for p in problems:
        print('not ok\t%s %s' % (path, p))
    if not problems:
        print('ok\t%s refers only to what the repository has' % path)
PY
)

for page in production tls database replicas backup ca-rotation host-rollout upgrading monitoring; do
    check "docs/$page.md exists and the docs index links it" grep -q "($page.md)" docs/README.md
done
check_eq "the README's sections are what meshca is, the commands and where to read next" \
    "$(grep '^## ' README.md | tr '\n' '|')" \
    "## The two commands|## Try it|## Where to read next|## The operator's kit (issue #20)|## Licence|"
# One version: include/meshca/version.h is what both binaries print; the
# Debian packages take theirs from debian/changelog, which must agree.
check_eq "debian/changelog's version is meshcad --version's" \
    "meshcad $(dpkg-parsechangelog -l debian/changelog -S Version)" "$("$MESHCAD_BIN" --version)"
check_eq "and meshca --version's" \
    "meshca $(dpkg-parsechangelog -l debian/changelog -S Version)" "$("$MESHCA_BIN" --version)"
