#!/usr/bin/env bash
# Seeds for fuzz_policy: the example policy, every check fixture (good and
# broken), and variants of the example made with jq that reach the other
# branches (templates, any_authenticated, emails, subjects, options).
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
ex=$top/contrib/policy.example.json
mkdir -p "$out"
cp "$ex" "$out/example.json"
for f in "$top"/tests/data/check/policy/*.json "$top"/tests/data/check/config/policy.json; do
    cp "$f" "$out/check-$(basename "$(dirname "$f")")-$(basename "$f")"
done
v() { jq -c "$2" "$ex" >"$out/variant-$1.json"; }
v templates '.roles[0].principals += ["home/{email_local}", "u/{sub}", "{preferred_username}", "{email}"]'
v any '.roles += [{"name": "everyone", "match": {"issuer": "https://idp", "any_authenticated": true}, "principals": ["lobby/{sub}"], "max_ttl": "2m"}]'
v emails '.roles[1].match = {"emails": ["bob@example.com"], "email_domains": ["example.com"], "subjects": ["bob"]}'
v options '.roles[0] += {"extensions": ["permit-pty", "permit-agent-forwarding", "permit-port-forwarding", "permit-X11-forwarding", "permit-user-rc", "no-touch-required"], "critical_options": {"force-command": "/bin/true", "source-address": "10.0.0.0/8,::1/128,192.0.2.7"}}'
v ttls '.roles[0] += {"default_ttl": "1m30s", "max_ttl": "1h"} | .roles[1].require_reason = false'
v admins-emails '.admins = {"emails": ["carol@example.com"]}'
v approval '.roles[1] += {"approval": {"approvers": {"groups": ["meshca-admins"]}, "min_approvals": 2, "request_ttl": "1h"}}'
v break-glass '.roles[0] += {"break_glass": true, "max_ttl": "15m"}'
v pretty '.'
jq . "$ex" >"$out/variant-indented.json"
