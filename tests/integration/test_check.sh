#!/usr/bin/env bash
# meshcad check: every broken file gets its exact message (file:line:col for
# syntax, the JSON path for meaning) and exit 1; good files exit 0.
. "$(dirname "$0")/../lib/harness.sh"
D=$MESHCA_TOP/tests/data/check
cd "$D" || bail "no $D"

expect() {  # file expected-stderr
    local out rc
    out=$("$MESHCAD_BIN" check --policy "$1" 2>&1 >/dev/null); rc=$?
    check_eq "check $1: exit 1" "$rc" 1
    check_eq "check $1: message" "$out" "$2"
}
expect syntax.json "syntax.json:3:26: string or '}' expected near ','"
expect unknown_key.json 'unknown_key.json: roles[0].max_tll: unknown key (expected one of: name, description, match, principals, default_ttl, max_ttl, extensions, critical_options, require_reason)'
expect over_ceiling.json 'over_ceiling.json: roles[2].max_ttl: 20h exceeds the ceiling 1h'
expect default_over_max.json 'default_over_max.json: roles[0].default_ttl: 30m exceeds max_ttl 10m'
expect empty_match.json 'empty_match.json: roles[0].match: an empty match would match everyone; name issuer, groups, emails, email_domains or subjects (or say "any_authenticated": true if that is really meant)'
expect several.json 'several.json: roles[0].principals[0]: "payments api": not a valid principal (1-255 characters, no spaces, commas or control characters)
several.json: roles[0].extensions[0]: "permit-everything" is not an OpenSSH extension (permit-pty, permit-port-forwarding, permit-agent-forwarding, permit-X11-forwarding, permit-user-rc, no-touch-required)
several.json: roles[0].critical_options.source-address: "300.1.1.1" is not a list of addresses or CIDR blocks (e.g. "10.0.0.0/8,192.0.2.7")'

out=$("$MESHCAD_BIN" check --policy "$MESHCA_TOP/contrib/policy.example.json" 2>&1); rc=$?
check_eq "the example policy passes" "$rc" 0
check_match "and check says ok with its version" "$out" '^ok: .*version [0-9a-f]{64}, 3 roles'

# Configs: the config and the policy it names, all problems at once.
cp "$MESHCA_TOP/contrib/policy.example.json" "$T_TMP/policy.json"
cat >"$T_TMP/bad.json" <<'JSON'
{ "listen": "0.0.0.0:8443", "database": "postgresql://x@127.0.0.1/meshca",
  "ca_keys": [ { "path": "ca.pem", "state": "spare" } ],
  "issuers": [ { "issuer": "http://idp.example.com", "audiences": [], "algorithms": ["HS256"] } ],
  "policy": "policy.json", "ttl_ceiling": "2d", "colour": "blue" }
JSON
out=$("$MESHCAD_BIN" check --config "$T_TMP/bad.json" 2>&1 >/dev/null); rc=$?
check_eq "a broken config: exit 1" "$rc" 1
check_eq "a broken config: every message" "$out" 'colour: unknown key (expected one of: listen, tls, database, ca_keys, issuers, login, policy, clock_skew, ttl_ceiling, limits)
listen: "0.0.0.0:8443" is not a loopback address; plain HTTP is allowed only on loopback: configure tls.cert and tls.key
ca_keys[0].state: "spare" must be active, next or retired
issuers[0].issuer: "http://idp.example.com" must be an https:// URL (plain http only on loopback, for tests)
issuers[0].audiences: must name at least one audience
issuers[0].algorithms[0]: "HS256" is not allowed (only asymmetric algorithms: RS256, ES256, PS256, RS384, RS512, ES384, PS384, PS512)
ttl_ceiling: must be between 1s and 24h'
printf '{ "listen": "127.0.0.1:8443",\n  "database": "x",\n  "ca_keys": [ { "path": "ca.pem" } ],\n  "issuers": [ { "issuer": "https://idp", "audiences": ["meshca"] } ],\n  "policy": "policy.json", }\n' >"$T_TMP/syntax.json"
out=$("$MESHCAD_BIN" check --config "$T_TMP/syntax.json" 2>&1 >/dev/null)
check_match "a config syntax error has file:line:col" "$out" 'syntax.json:5:28: string or .}. expected near'
cat >"$T_TMP/good.json" <<'JSON'
{ "listen": "127.0.0.1:8443", "database": "postgresql://x@127.0.0.1/meshca",
  "ca_keys": [ { "path": "ca.pem", "state": "active" } ],
  "issuers": [ { "issuer": "https://idp.example.com", "audiences": ["meshca"] } ],
  "policy": "policy.json", "ttl_ceiling": "10m" }
JSON
out=$("$MESHCAD_BIN" check --config "$T_TMP/good.json" 2>&1); rc=$?
check_eq "a config whose policy exceeds its ceiling: exit 1" "$rc" 1
check_match "names the role and the config's ceiling" "$out" 'roles\[0\]\.max_ttl: 15m exceeds the ceiling 10m'
sed -i 's/"10m"/"1h"/' "$T_TMP/good.json"
check "a good config and policy: exit 0" "$MESHCAD_BIN" check --config "$T_TMP/good.json"
check_eq "usage error: exit 2" "$("$MESHCAD_BIN" check >/dev/null 2>&1; echo $?)" 2
