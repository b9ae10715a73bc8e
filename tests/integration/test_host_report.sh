#!/usr/bin/env bash
# Who actually logged in (issue #18), end to end with real sshd: people log
# in to two hosts with meshca certificates; `meshca host-report` ships each
# host's sshd log (LogLevel VERBOSE, sshd -E style lines) to POST
# /v1/logins under the host's own token; a second run ships nothing new and
# a resent batch is recorded once.  One host keeps a stale KRL on purpose:
# a revoked certificate still gets in there, and the report names the host
# and its KRL's age.  The report (GET /v1/report, meshca report) shows used
# and unused grants, the access map, a flagged first-time access; GET
# /v1/anomalies and the metric name the rules; meshca who answers who could
# and who did reach a principal.  The ledger (with its login entries)
# verifies.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/stack.sh"
D=$T_TMP

stack_init '{ "admins": { "groups": ["meshca-admins"] },
  "roles": [
    { "name": "payments-oncall", "match": { "groups": ["oncall"] },
      "principals": ["payments/api", "payments/worker"], "default_ttl": "10m", "max_ttl": "15m" },
    { "name": "payments-debug", "match": { "groups": ["dev"] },
      "principals": ["payments/api"], "default_ttl": "10m", "max_ttl": "15m" },
    { "name": "payments-glass", "match": { "groups": ["sre"] },
      "principals": ["payments/api"], "max_ttl": "5m", "break_glass": true } ] }'
# Two hosts, each with its own token; the file lists their SHA-256.
for h in web-1 web-2; do
    (umask 077 && head -c 24 /dev/urandom | base64 >"$D/$h.token")
    printf '%s sha256:%s\n' "$h" "$(tr -d '\n' <"$D/$h.token" | sha256sum | cut -d' ' -f1)"
done >"$D/host-tokens"
stack_config_extra '{"logins": {"host_tokens": "host-tokens", "anomaly_refresh": "1s"}}'
stack_start
export MESHCA_SERVER=$MESHCAD_URL
admin=$D/admin.tok; mint_token "$(claims_for root-admin '["meshca-admins"]')" >"$admin"

# person NAME GROUP [PRINCIPAL]: a key and a certificate for NAME.
person() {
    local body
    user_key "$1" >/dev/null
    body=$(jq -cn --arg k "$(cat "$D/$1.pub")" --arg p "${3:-}" \
        '{public_key: $k} + (if $p == "" then {} else {principals: [$p]} end)')
    issue "$(mint_token "$(claims_for "$1" "[\"$2\"]")")" "$body"
    [ "$HTTP_STATUS" = 201 ] || bail "no certificate for $1: $HTTP_BODY"
    jq -r .certificate <<<"$HTTP_BODY" >"$D/$1-cert.pub"
    jq -r .serial <<<"$HTTP_BODY" >"$D/$1.serial"
}
person alice oncall
person bob oncall
person carol dev
person dave dev           # holds payments-debug, never uses it
person erin oncall        # revoked below
person frank oncall payments/worker   # not a principal the hosts list

"$MESHCA_BIN" ca-keys --output "$D/ca-keys" >>"$T_LOG" 2>&1 || bail "meshca ca-keys"
# web-2's KRL is fetched now and never again: stale on purpose.
"$MESHCA_BIN" krl --output "$D/web-2.krl" >>"$T_LOG" 2>&1 || bail "meshca krl (web-2)"
out=$("$MESHCA_BIN" revoke --serial "$(cat "$D/erin.serial")" --reason "laptop stolen" \
    --token-file "$admin" 2>&1) || bail "revoke erin: $out"
krl_has_erin() {
    "$MESHCA_BIN" krl --output "$D/web-1.krl" >>"$T_LOG" 2>&1 &&
        ! ssh-keygen -Q -f "$D/web-1.krl" "$D/erin-cert.pub" >/dev/null 2>&1
}
check "web-1's fresh KRL revokes erin's certificate" wait_for 20 krl_has_erin

# Two sshd, one per host, their logs in files (as sshd -E writes them).
start_host() {
    local save=$T_TMP
    T_TMP=$D/$1; mkdir -p "$T_TMP"
    sshd_start "$D/ca-keys" "$D/$1.krl"
    sshd_principals "$T_USER" payments/api
    T_TMP=$save
    eval "PORT_${1//-/_}=$SSHD_PORT"
}
start_host web-1
start_host web-2
# login HOST NAME: NAME logs in to HOST with their meshca certificate.
login() {
    local p=PORT_${1//-/_}
    SSHD_PORT=${!p} ssh_as "$D/$2" "$D/$2-cert.pub" "$T_USER" true
}
check "alice logs in to web-1" login web-1 alice
check "alice logs in to web-1 again" login web-1 alice
check "alice logs in to web-2" login web-2 alice
check "bob logs in to web-2" login web-2 bob
check "carol logs in to web-1" login web-1 carol
check_fails "web-1 (fresh KRL) refuses erin's revoked certificate" login web-1 erin
check "web-2 (stale KRL) lets erin in" login web-2 erin
check_fails "frank's certificate names no principal the host lists" login web-1 frank
logged() { [ "$(grep -c "$2" "$D/$1/sshd/sshd.log")" -ge "$3" ]; }
check "web-1 logged its five certificate logins" wait_for 20 logged web-1 "publickey for $T_USER .*-CERT .* ID " 5
check "web-2 logged its three" wait_for 20 logged web-2 "publickey for $T_USER .*-CERT .* ID " 3

report() {
    "$MESHCA_BIN" host-report --token-file "$D/$1.token" --log "$D/$1/sshd/sshd.log" \
        --state "$D/$1.state" --krl "$D/$1.krl" "${@:2}"
}
out=$(report web-1 2>&1); rc=$?
check_eq "host-report ships web-1's log (exit 0)" "$rc" 0
check_match "and says how many logins" "$out" 'host-report: 5 logins shipped, 5 new'
out=$(report web-2 --batch 1 2>&1); rc=$?
check_eq "host-report ships web-2's log in batches of one" "$rc" 0
check_match "three logins" "$out" '3 logins shipped, 3 new'
out=$(report web-1 2>&1)
check_match "a second run finds nothing new (the offset is kept)" "$out" '0 logins shipped, 0 new'
q() { psql_admin -c "$1"; }
check_eq "the ledger holds eight logins" "$(q 'SELECT count(*) FROM logins')" 8
check_eq "each names its host from the token" \
    "$(q "SELECT string_agg(DISTINCT host, ',' ORDER BY host) FROM logins")" "web-1,web-2"
check_eq "web-1 refused erin as revoked, frank for the principal" \
    "$(q "SELECT string_agg(result || ':' || split_part(key_id, '@', 1), ',' ORDER BY result)
          FROM logins WHERE host = 'web-1' AND result <> 'accepted'")" \
    "revoked:erin,wrong_principal:frank"
check_eq "logins carry serial, key id, account and source" \
    "$(q "SELECT serial || ' ' || key_id || ' ' || account || ' ' || source_address FROM logins
          WHERE host = 'web-2' AND key_id LIKE 'bob@%'")" \
    "$(cat "$D/bob.serial") $(jq -r .key_id <<<"$(curl -s -H "Authorization: Bearer $(cat "$admin")" \
        "$MESHCAD_URL/v1/certificates?subject=bob" | jq -c '.certificates[0]')") $T_USER 127.0.0.1"
check_eq "every login's serial is one meshca issued, under a CA it knows" \
    "$(q 'SELECT count(*) FROM logins WHERE issued_serial IS NOT NULL AND ca_known')" 8
check_eq "host freshness: web-2's KRL is older than web-1's" \
    "$(q "SELECT (SELECT krl_version FROM host_reports WHERE host = 'web-2') <
                 (SELECT krl_version FROM host_reports WHERE host = 'web-1')")" t

# Resending: the state file is removed, so the whole log goes again.
rm -f "$D/web-1.state"
out=$(report web-1 2>&1)
check_match "a resent log is accepted but nothing is recorded twice" "$out" '5 logins shipped, 0 new'
check_eq "still eight logins" "$(q 'SELECT count(*) FROM logins')" 8

# The host is its token: none, or an unknown one, is refused.
post() {
    curl -sS -o "$D/resp" -w '%{http_code}' -X POST ${1:+-H "Authorization: Bearer $1"} \
        -H 'Content-Type: application/json' --data-binary "$2" "$MESHCAD_URL/v1/logins"
}
check_eq "POST /v1/logins without a token: 401" "$(post '' '{"logins":[]}')" 401
check_eq "with a token not in the file: 401" "$(post not-a-host-token '{"logins":[]}')" 401
check_eq "with a bad body: 400" "$(post "$(cat "$D/web-1.token")" '{"logins":[{"at":"x"}]}')" 400
check_match "naming the field" "$(cat "$D/resp")" 'logins\[0\]: line_id is required'
# A login whose serial meshca never issued, under a CA it does not know.
rogue='{"logins":[{"line_id":"rogue-1","at":"'$(date -u -d '5 minutes ago' +%Y-%m-%dT%H:%M:%SZ)'","account":"app",
  "source_address":"10.9.9.9","source_port":4242,"result":"accepted","serial":"18446744073709551615",
  "key_id":"mallory","key_fingerprint":"SHA256:x","ca_fingerprint":"SHA256:notours"}]}'
check_eq "a login under an unknown CA is recorded" "$(post "$(cat "$D/web-2.token")" "$rogue")" 200
check_eq "flagged: serial never issued, CA unknown" \
    "$(q "SELECT issued_serial IS NULL, ca_known FROM logins WHERE line_id = 'rogue-1'")" "t|f"
check_eq "sent twice, recorded once" "$(post "$(cat "$D/web-2.token")" "$rogue"; jq -c . "$D/resp")" \
    '200{"received":1,"recorded":0}'

# The logins are in the transparency log, and it verifies.
in_log() { [ "$(q 'SELECT count(*) FROM log_leaves l JOIN logins x ON x.seq = l.seq')" = 9 ]; }
check "the integrator took the logins in" wait_for 20 in_log
out=$("$MESHCAD_BIN" ledger verify --config "$D/meshcad.json" 2>&1); rc=$?
check_eq "meshcad ledger verify passes with login entries" "$rc" 0
# issued_serial and ca_known are set by the database, not by the entry, yet
# the anomaly rules read them: a superuser who flips them hides a login
# under a rogue CA from the report.  Verify recomputes them.
tamper_login() {  # tamper_login SET-CLAUSE
    q "ALTER TABLE logins DISABLE TRIGGER logins_append_only;
       UPDATE logins SET $1 WHERE line_id = 'rogue-1';
       ALTER TABLE logins ENABLE TRIGGER logins_append_only" >>"$T_LOG" 2>&1
}
tamper_login "ca_known = true"
out=$("$MESHCAD_BIN" ledger verify --config "$D/meshcad.json" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "ledger verify fails after a rogue login's ca_known was set" "$rc" 1
check_match "naming the login and the column" "$out" \
    "login of app@web-2\): its ca_known is true, but the certificates written before it make it false"
tamper_login "ca_known = false, issued_serial = $(cat "$D/bob.serial")"
out=$("$MESHCAD_BIN" ledger verify --config "$D/meshcad.json" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "ledger verify fails after a rogue login was given an issued serial" "$rc" 1
check_match "naming issued_serial" "$out" "login of app@web-2\): its issued_serial is $(cat "$D/bob.serial"), but .* make it null"
tamper_login "issued_serial = NULL"
check "restored: ledger verify passes" "$MESHCAD_BIN" ledger verify --config "$D/meshcad.json"
# What meshcad serves (checkpoint, tiles, entry bundles holding logins) is
# checked by the independent Go verifier once a checkpoint covers them all.
signed_all() {
    [ "$(curl -fsS "$MESHCAD_URL/v1/log/checkpoint" 2>/dev/null | sed -n 2p)" = \
      "$(q 'SELECT count(*) FROM log_leaves')" ]
}
check "a signed checkpoint covers every leaf" wait_for 20 signed_all
VKEY=$("$MESHCAD_BIN" log vkey --config "$D/meshcad.json" 2>>"$T_LOG")
out=$("$BUILD/tests/tools/tlogcheck" verify --url "$MESHCAD_URL/v1/log" --vkey "$VKEY" 2>&1 </dev/null); rc=$?
echo "$out" >>"$T_LOG"
check_eq "tlogcheck (Go sumdb/note, sumdb/tlog) verifies the log holding logins" "$rc" 0
q "UPDATE logins SET account = 'nobody'" >/dev/null 2>&1
check_eq "login rows are append-only" "$(q "SELECT count(*) FROM logins WHERE account = 'nobody'")" 0

# Reconciliation: GET /v1/report's "usage".
rep=$(curl -fsS -H "Authorization: Bearer $(cat "$admin")" "$MESHCAD_URL/v1/report?since=1h") || {
    tail -n 5 "$T_TMP/meshcad.log" >>"$T_LOG"; bail "GET /v1/report failed"; }
echo "$rep" | jq .usage >>"$T_LOG"
check_eq "usage: 6 certificates issued, 4 used" \
    "$(jq -c '[.usage.certificates.issued, .usage.certificates.used]' <<<"$rep")" "[6,4]"
check_eq "alice's certificate: used on both hosts as $T_USER" \
    "$(jq -c --arg s alice '.usage.certificates.list[] | select(.subject == $s) | [.used, .logins, .hosts, .accounts]' <<<"$rep")" \
    "[true,3,[\"web-1\",\"web-2\"],[\"$T_USER\"]]"
check_eq "dave's certificate: never used" \
    "$(jq -c '.usage.certificates.list[] | select(.subject == "dave") | [.used, .first_use]' <<<"$rep")" "[false,null]"
check_eq "unused grant: payments-debug, 1 of its 2 members never used it" \
    "$(jq -r '.usage.roles[] | select(.role == "payments-debug") | .finding' <<<"$rep")" \
    "role payments-debug grants payments/api; 1 of its 2 members never used it in the period"
check_eq "and names dave" "$(jq -c '.usage.roles[] | select(.role == "payments-debug") | .unused_members' <<<"$rep")" '["dave"]'
check_eq "payments/worker: held by 4, used by 3 (alice, bob, erin)" \
    "$(jq -c '.usage.principals[] | select(.principal == "payments/worker") | [.holders, .users]' <<<"$rep")" "[4,3]"
check_eq "use after revocation: web-2 let erin in" \
    "$(jq -c '[.usage.use_after_revocation[] | [.host, .subject]]' <<<"$rep")" '[["web-2","erin"]]'
check_match "naming how old web-2's KRL was" "$(jq -r '.usage.use_after_revocation[0].finding' <<<"$rep")" \
    '^web-2 let in erin \(serial [0-9]+\) at .* after it was revoked: its KRL \(version [0-9]+\) was generated .* before the login$'
check_eq "host freshness: web-2's KRL is stale (missing a revocation), web-1's is not" \
    "$(jq -c '[.usage.hosts[] | [.host, .krl_stale, .silent]]' <<<"$rep")" '[["web-1",false,false],["web-2",false,false]]'
rep2=$(curl -fsS -H "Authorization: Bearer $(cat "$admin")" "$MESHCAD_URL/v1/report?since=1h&krl_stale=1s")
check_eq "with krl_stale=1s web-2 is stale" \
    "$(jq -c '[.usage.hosts[] | [.host, .krl_stale]]' <<<"$rep2")" '[["web-1",false],["web-2",true]]'
check_eq "the unknown CA's login is listed" "$(jq -c '[.usage.unknown[] | [.host, .rule]]' <<<"$rep")" '[["web-2","unknown_ca"]]'
check_eq "access map: role payments-debug -> payments/api used once (carol)" \
    "$(jq -c '.usage.access_map.roles_principals[] | select(.role == "payments-debug") | [.principal, .granted, .logins]' <<<"$rep")" \
    '["payments/api",true,1]'
check_eq "anomalies: alice's first access to web-1 is flagged" \
    "$(jq -r --arg u "$T_USER" '[.usage.anomalies.anomalies[] | select(.rule == "first_access" and .subject == "alice" and .host == "web-1")] | length' <<<"$rep")" 1
check_match "with its evidence" "$(jq -r '[.usage.anomalies.anomalies[] | select(.rule == "first_access" and .subject == "alice" and .host == "web-1")][0].evidence' <<<"$rep")" \
    "^first login of alice as $T_USER on web-1: no earlier login in the ledger$"
an=$(curl -fsS -H "Authorization: Bearer $(cat "$admin")" "$MESHCAD_URL/v1/anomalies?since=1h")
check_eq "GET /v1/anomalies counts each rule" \
    "$(jq -c '.rules | [.first_access, .use_after_revocation, .unknown_ca, .unknown_serial]' <<<"$an")" "[5,1,1,0]"
check_eq "GET /v1/anomalies is for admins" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(token 1)" "$MESHCAD_URL/v1/anomalies")" 403
check "the metric counts flags as logins arrive" \
    metric_at_least "$MESHCAD_URL" 'meshca_login_anomalies_total{rule="use_after_revocation"}' 1
check "and the first accesses" metric_at_least "$MESHCAD_URL" 'meshca_login_anomalies_total{rule="first_access"}' 5
check "and logins by result" metric_at_least "$MESHCAD_URL" 'meshca_logins_recorded_total{result="revoked"}' 1

# meshca_anomalies_flagged{rule}: every rule over the last 24 h, recomputed
# in the background (logins.anomaly_refresh, 1s here), equal to what GET
# /v1/anomalies?since=24h counts, the whole-period rules included.
# gauge_matches: every rule GET /v1/anomalies?since=24h names has a sample
# of the same value, and there are no other samples.
gauge_matches() {
    local want got
    want=$(curl -fsS -H "Authorization: Bearer $(cat "$admin")" "$MESHCAD_URL/v1/anomalies?since=24h" |
        jq -r '.rules | to_entries[] | "\(.key) \(.value)"' | sort) || return 1
    got=$(curl -fsS "$MESHCAD_URL/metrics" |
        sed -n 's/^meshca_anomalies_flagged{rule="\([a-z_]*\)"} \([0-9]*\)$/\1 \2/p' | sort)
    echo "want: $want"; echo "got: $got"
    [ -n "$want" ] && [ "$want" = "$got" ]
}
check "meshca_anomalies_flagged shows the first accesses" \
    wait_for 20 metric_at_least "$MESHCAD_URL" 'meshca_anomalies_flagged{rule="first_access"}' 5
check "and the use after revocation" \
    wait_for 20 metric_at_least "$MESHCAD_URL" 'meshca_anomalies_flagged{rule="use_after_revocation"}' 1
check "and the unknown CA" \
    wait_for 20 metric_at_least "$MESHCAD_URL" 'meshca_anomalies_flagged{rule="unknown_ca"}' 1
check_eq "it names all ten rules, at 0 when none was flagged" \
    "$(curl -fsS "$MESHCAD_URL/metrics" | grep -c '^meshca_anomalies_flagged{rule="')" 10
check "each equals the count GET /v1/anomalies?since=24h reports" wait_for 20 gauge_matches

# The HTML report: usage sections and the access map.
check "meshca report writes the HTML report" \
    "$MESHCA_BIN" report --since 1h --token-file "$admin" --output "$D/report.html"
html=$(cat "$D/report.html")
check_match "it says who actually logged in" "$html" '6 certificates issued in the period; 4 used to log in'
check_match "it draws the access map" "$html" 'aria-label="Access map"'
check_match "with web-1 and web-2 as the host group web (2 hosts)" "$html" '>web \(2 hosts\)<'
check_match "and both roles in it" "$html" '>payments-debug</text>.*>payments-oncall</text>|>payments-oncall</text>.*>payments-debug</text>'
check_match "it lists the unused grant" "$html" 'role payments-debug grants payments/api; 1 of its 2 members never used it'
check_match "the use after revocation" "$html" 'web-2 let in erin \(serial'
check_match "the flagged first-time access" "$html" 'first login of alice as [a-z]+ on web-1'
check_match "and the login under an unknown CA" "$html" 'unknown_ca'

# meshca who: who could reach payments/api then, and who did.
out=$("$MESHCA_BIN" who --principal payments/api --at now --token-file "$admin" 2>&1); rc=$?
check_eq "meshca who answers (exit 0)" "$rc" 0
check_match "who could: five valid certificates name payments/api" "$out" 'Could reach it \(certificates valid then\): 5'
check_match "erin's marked revoked" "$out" 'erin@example.com +role payments-oncall .*REVOKED'
check_match "who did: the logins with them" "$out" 'Did \(logins within 1h\): 7'
check_match "carol's login on web-1" "$out" "carol +$T_USER@web-1  accepted  from 127.0.0.1"
out=$("$MESHCA_BIN" who --principal payments/api --at now --json --token-file "$admin" 2>&1)
check_eq "--json: the server's answer" "$(jq -c '[(.could | length), (.did | map(.subject) | unique)]' <<<"$out")" \
    '[5,["alice","bob","carol","erin"]]'
out=$("$MESHCA_BIN" who --principal payments/api --at 2020-01-01T00:00:00Z --json --token-file "$admin")
check_eq "nobody could reach it in 2020" "$(jq -c '[(.could | length), (.did | length)]' <<<"$out")" '[0,0]'
mint_token "$(claims_for bob '["oncall"]')" >"$D/bob.tok"
out=$("$MESHCA_BIN" who --principal payments/api --token-file "$D/bob.tok" 2>&1); rc=$?
check_eq "meshca who is for admins (exit 1)" "$rc" 1
"$MESHCA_BIN" who --at now --token-file "$admin" >/dev/null 2>&1; rc=$?
check_eq "without --principal: usage (exit 2)" "$rc" 2

# A break-glass certificate (#17) used on a host is flagged every time,
# however common its role: rule break_glass, naming the access request.
user_key grace >/dev/null
issue "$(mint_token "$(claims_for grace '["sre"]')")" "$(jq -cn --arg k "$(cat "$D/grace.pub")" \
    '{public_key: $k, role: "payments-glass", reason: "INC-1 payments down"}')"
check_eq "grace gets a break-glass certificate (201)" "$HTTP_STATUS" 201
jq -r .certificate <<<"$HTTP_BODY" >"$D/grace-cert.pub"
bgid=$(jq -r .access_request <<<"$HTTP_BODY")
check_match "its key id says break-glass" "$(jq -r .key_id <<<"$HTTP_BODY")" "/break-glass/ar-$bgid\$"
check "grace logs in to web-1 with it" login web-1 grace
check "web-1 logged it" wait_for 20 logged web-1 "publickey for $T_USER .*-CERT .* ID " 6
out=$(report web-1 2>&1)
check_match "host-report ships the break-glass login" "$out" '1 logins? shipped, 1 new'
an=$(curl -fsS -H "Authorization: Bearer $(cat "$admin")" "$MESHCAD_URL/v1/anomalies?since=1h")
check_eq "GET /v1/anomalies flags it: rule break_glass, grace on web-1" \
    "$(jq -c '[.rules.break_glass, ([.anomalies[] | select(.rule == "break_glass") | [.subject, .host]])]' <<<"$an")" \
    '[1,[["grace","web-1"]]]'
check_match "with the access request as evidence" \
    "$(jq -r '[.anomalies[] | select(.rule == "break_glass")][0].evidence' <<<"$an")" \
    "^break-glass certificate [0-9]+ of grace \\(role payments-glass, access request $bgid\\) was used 1 time\\(s\\) as $T_USER on web-1"
check_eq "a certificate of an ordinary role is not flagged break_glass" \
    "$(jq -c '[.anomalies[] | select(.rule == "break_glass" and .subject != "grace")] | length' <<<"$an")" 0
check "the metric counts it as it arrives" \
    metric_at_least "$MESHCAD_URL" 'meshca_login_anomalies_total{rule="break_glass"}' 1
check "and the 24-hour gauge picks it up on its next refresh" \
    wait_for 20 metric_at_least "$MESHCAD_URL" 'meshca_anomalies_flagged{rule="break_glass"}' 1
check "still equal to GET /v1/anomalies?since=24h" wait_for 20 gauge_matches
rep=$(curl -fsS -H "Authorization: Bearer $(cat "$admin")" "$MESHCAD_URL/v1/report?since=1h")
check_eq "the report's usage anomalies carry it too" \
    "$(jq -c '.usage.anomalies.rules.break_glass' <<<"$rep")" 1

# --journal runs the real journalctl (this machine's journal may hold no
# sshd entries at all: then nothing is shipped and no cursor kept).
out=$("$MESHCA_BIN" host-report --journal --unit ssh --token-file "$D/web-1.token" \
    --state "$D/journal.state" 2>&1); rc=$?
check_eq "host-report --journal runs journalctl and exits 0" "$rc" 0
check_match "and says what it shipped" "$out" 'host-report: [0-9]+ logins? shipped'
"$MESHCA_BIN" host-report --journal --log "$D/web-1/sshd/sshd.log" --token-file "$D/web-1.token" \
    --state "$D/x.state" >/dev/null 2>&1; rc=$?
check_eq "--journal and --log together: usage (exit 2)" "$rc" 2
echo garbage >"$D/bad.state"
out=$(report web-1 --state "$D/bad.state" 2>&1); rc=$?
check_eq "a state file that is not one: exit 1" "$rc" 1
check_match "saying what to do" "$out" 'not a state file of --log \(remove it to start from the beginning\)'

# meshcad check reads the host token file as serve does.
check "meshcad check accepts the host token file" "$MESHCAD_BIN" check --config "$D/meshcad.json"
printf 'web-1 %s\n' "$(cat "$D/web-1.token")" >"$D/bad-tokens"
jq '.logins.host_tokens = "bad-tokens"' "$D/meshcad.json" >"$D/bad.json"
out=$("$MESHCAD_BIN" check --config "$D/bad.json" 2>&1); rc=$?
check_eq "and refuses a token written in place of its hash (exit 1)" "$rc" 1
check_match "naming the line" "$out" 'logins.host_tokens: .*bad-tokens line 1: not "HOST sha256:HEX"'
check_fails "the token itself is not printed" grep -qF "$(cat "$D/web-1.token")" <<<"$out"

# A copy of a genuine record (erin's revocation, entry and MAC included)
# inserted by a superuser: the MAC binds the entry, not the row, so the
# integrator takes the copy in as a record of its own; verify names it.
q "INSERT INTO revocations (kind, value, issuer, reason, revoked_by, block_until,
     request_id, created_at, entry, mac)
   SELECT kind, value, issuer, reason, revoked_by, block_until, request_id, created_at,
     entry, mac FROM revocations WHERE kind = 'serial' AND value = '$(cat "$D/erin.serial")'" >>"$T_LOG" 2>&1
copy_in_log() {
    [ "$(q "SELECT count(*) FROM log_leaves l JOIN revocations r USING (seq)
            WHERE r.value = '$(cat "$D/erin.serial")'")" = 2 ]
}
check "the integrator takes the copy in" wait_for 20 copy_in_log
out=$("$MESHCAD_BIN" ledger verify --config "$D/meshcad.json" 2>&1); rc=$?
echo "$out" >>"$T_LOG"
check_eq "ledger verify fails on a copied record" "$rc" 1
check_match "naming the copy and the original" "$out" \
    "record [0-9]+ \(revocation of serial $(cat "$D/erin.serial")\) holds the entry of record [0-9]+ \(2 row\(s\) in all\)"

# A login row changed behind meshcad's back (triggers disabled by a superuser)
# no longer matches its log entry: ledger verify names it.
q "ALTER TABLE logins DISABLE TRIGGER logins_append_only;
   UPDATE logins SET account = 'nobody' WHERE key_id LIKE 'carol@%';
   ALTER TABLE logins ENABLE TRIGGER logins_append_only" >>"$T_LOG" 2>&1
out=$("$MESHCAD_BIN" ledger verify --config "$D/meshcad.json" 2>&1); rc=$?
check_eq "ledger verify fails after a login row was changed" "$rc" 1
check_match "naming the login and what changed" "$out" "login of nobody@web-1\): its account differs from its entry's"
