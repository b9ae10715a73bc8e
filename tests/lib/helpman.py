#!/usr/bin/env python3
"""Compares a binary's --help texts with its mdoc man page.

usage: helpman.py BINARY MANPAGE

The commands come from `BINARY --help` (meshca: indented "  name  text"
lines; meshcad: "meshcad [name] [word]" usage lines); each must have a
subsection `.Ss name` in the man page and each subsection a command.  For
every command, the long flags `BINARY name --help` prints and the flags the
subsection names with `Fl` must be the same set.  The top-level --help's
flags must appear in the man page, and the man page's flags outside the
command subsections must exist in some --help.  --help itself is left
out of the comparison; every `BINARY name --help` must exit 0.

Prints one line per check, "ok<TAB>description" or "not ok<TAB>description",
naming exactly which flag is missing where.
"""
import re
import subprocess
import sys

FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*)')
MAN_FL = re.compile(r'(?:^\.|\s)Fl\s+(-[a-z][a-z0-9-]*)')


def flags(text):
    """The long flags in text, but --help, which every command takes (its
    exit status is checked instead)."""
    return set(FLAG.findall(text)) - {'--help'}


def run_help(binary, words):
    p = subprocess.run([binary] + words + ['--help'], capture_output=True,
                       text=True, timeout=30)
    return p.stdout + p.stderr, p.returncode


def commands_from_help(binary, text):
    cmds = []
    name = binary.rsplit('/', 1)[-1]
    for line in text.splitlines():
        m = re.match(r'^  ([a-z][a-z0-9-]*)\s{2,}\S', line)
        if m:
            cmds.append(m.group(1))
            continue
        m = re.match(r'^(?:usage:)?\s*' + re.escape(name) +
                     r' \[?([a-z][a-z0-9-]*)\]?(?: ([a-z][a-z0-9-]*))?\b', line)
        if m:
            cmds.append(m.group(1) + (' ' + m.group(2) if m.group(2) else ''))
    seen = []
    for c in cmds:
        if c not in seen:
            seen.append(c)
    return seen


def man_sections(path):
    """{subsection title: set of flags}, and the flags outside them."""
    subs, outside, cur = {}, set(), None
    in_commands = False
    with open(path) as f:
        for line in f:
            if line.startswith('.Sh '):
                in_commands = line.split(None, 1)[1].strip() == 'COMMANDS'
                cur = None
                continue
            if line.startswith('.Ss ') and in_commands:
                cur = line.split(None, 1)[1].strip()
                subs.setdefault(cur, set())
                continue
            fl = {'-' + m for m in MAN_FL.findall(line)} - {'--help'}
            if cur is not None:
                subs[cur] |= fl
            else:
                outside |= fl
    return subs, outside


def main():
    binary, man = sys.argv[1], sys.argv[2]
    name = binary.rsplit('/', 1)[-1]
    manname = man.rsplit('/', 1)[-1]
    results = []
    top, _ = run_help(binary, [])
    cmds = commands_from_help(binary, top)
    subs, outside = man_sections(man)
    all_help = flags(top)
    for c in cmds:
        if c not in subs:
            results.append((False, '%s %s: `%s --help` lists it but %s has no '
                            'subsection ".Ss %s" under COMMANDS' %
                            (name, c, name, manname, c)))
            continue
        text, rc = run_help(binary, c.split())
        help_flags = flags(text)
        all_help |= help_flags
        missing_man = sorted(help_flags - subs[c])
        missing_help = sorted(subs[c] - help_flags)
        for fl in missing_man:
            results.append((False, '%s %s %s: printed by `%s %s --help` but '
                            'missing from %s (.Ss %s)' %
                            (name, c, fl, name, c, manname, c)))
        for fl in missing_help:
            results.append((False, '%s %s %s: in %s (.Ss %s) but not printed '
                            'by `%s %s --help`' %
                            (name, c, fl, manname, c, name, c)))
        if not missing_man and not missing_help:
            results.append((True, '%s %s: --help and %s agree on %d flags' %
                            (name, c, manname, len(help_flags))))
        if rc != 0:
            results.append((False, '%s %s --help exits %d, not 0' %
                            (name, c, rc)))
    for s in subs:
        if s not in cmds:
            results.append((False, '%s: %s documents ".Ss %s" but `%s --help` '
                            'lists no such command' % (name, manname, s, name)))
    everywhere = outside.union(*subs.values()) if subs else outside
    for fl in sorted(flags(top) - everywhere):
        results.append((False, '%s %s: printed by `%s --help` but missing '
                        'from %s' % (name, fl, name, manname)))
    for fl in sorted(outside - all_help):
        results.append((False, '%s %s: in %s but printed by no --help' %
                        (name, fl, manname)))
    results.append((True, '%s: %d commands compared with %s' %
                    (name, len(cmds), manname)))
    for ok, desc in results:
        print('%s\t%s' % ('ok' if ok else 'not ok', desc))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
