#!/usr/bin/env bash
# Seeds for fuzz_sshdlog: sshd's certificate login lines (as sshd 9.2 writes
# them at LogLevel VERBOSE), with and without syslog or RFC 3339 prefixes, a
# refusal after its reason, a journal entry, and login times.
set -eu
out=$1
mkdir -p "$out"
cert='ED25519-CERT SHA256:eUWdUMyuygqS+SCC6iDB6mVPXHtskKM5gMP2H+cZv1k ID alice@example.com/ops/1f2e (serial 577450123) CA ED25519 SHA256:QWptoguRnYKeoYwMPA6sU5c7OvOnFzYr/so0xJt/fbg'
printf 'Accepted publickey for app from 10.0.0.5 port 5123 ssh2: %s\n' "$cert" >"$out/accepted.log"
printf 'Nov 30 14:00:01 web-1 sshd[100]: Certificate invalid: expired\nNov 30 14:00:01 web-1 sshd[100]: Failed publickey for app from 10.0.0.6 port 4 ssh2: %s\n' "$cert" >"$out/expired.log"
printf '2026-11-30T14:00:02.250000+01:00 web-1 sshd[7]: Authentication key %s revoked by file /k\n2026-11-30T14:00:02.3+01:00 web-1 sshd[7]: Failed publickey for app from ::1 port 9 ssh2: %s\n' "${cert%% ID*}" "$cert" >"$out/revoked.log"
printf '{"__CURSOR":"s=abc;i=12","__REALTIME_TIMESTAMP":"1796047202250000","_PID":"77","MESSAGE":"Accepted publickey for app from 10.0.0.5 port 5123 ssh2: %s"}' "$cert" >"$out/journal.json"
printf '2026-11-30T14:00:05.123456Z' >"$out/time.txt"
