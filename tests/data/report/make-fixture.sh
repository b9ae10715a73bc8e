#!/bin/sh
# Generates GET /v1/report documents for the report renderer's tests: a
# made-up but realistic day (or week) of a payments team's SSH access, with
# people, roles, principals, reasons, revocations, denials and the ledger's
# integrity block computed from the generated records, so every total agrees
# with the rows.  Deterministic: the same arguments give the same bytes.
#
#   make-fixture.sh [--certs N] [--days D] [--seed S] [--broken] [--empty]
#                   [--until RFC3339]                  > report.json
#   make-fixture.sh --all DIR       (re)writes the committed fixtures:
#       typical.json  60 certificates over 24 h, hostile and formula-like
#                     reasons included, chain verified
#       broken.json   the same day with the chain broken at a record
#       empty.json    a quiet day: no certificates, no denials
#
# Needs awk and jq.  The random numbers are MINSTD (exact in awk's doubles),
# not awk's rand(), so mawk and gawk agree.
set -eu

certs=60 days=1 seed=7 broken=0 empty=0 until=2026-11-22T13:00:00Z
if [ "${1:-}" = --all ]; then
    dir=${2:?usage: make-fixture.sh --all DIR}
    self=$0
    sh "$self" >"$dir/typical.json"
    sh "$self" --broken >"$dir/broken.json"
    sh "$self" --empty --seed 3 >"$dir/empty.json"
    exit 0
fi
while [ $# -gt 0 ]; do
    case "$1" in
    --certs) certs=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --until) until=$2; shift 2 ;;
    --broken) broken=1; shift ;;
    --empty) empty=1; certs=0; shift ;;
    *) echo "make-fixture.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
until_epoch=$(date -u -d "$until" +%s)

# The chain's head hash stands in as SHA-256 of the rest of the document.
doc=$(awk -v n="$certs" -v days="$days" -v seed="$seed" -v until="$until_epoch" \
    -v empty="$empty" '
function rnd() { state = (state * 48271) % 2147483647; return state / 2147483647 }
function pick(n) { return int(rnd() * n) }
function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function hex(n,   s, i) { s = ""; for (i = 0; i < n; i++) s = s substr("0123456789abcdef", pick(16) + 1, 1); return s }
function serial(   s, i) { s = (pick(9) + 1) ""; for (i = 0; i < 17; i++) s = s pick(10); return s }
# Busier in working hours (UTC 07-18) than at night.
function when(   t, h) {
    for (;;) {
        t = until - 60 - pick(days * 86400 - 120)
        h = int((t % 86400) / 3600)
        if (h >= 7 && h <= 18 || rnd() < 0.25) return t
    }
}
BEGIN {
    state = seed * 7919 + 1
    np = split("alice bob carol dave erin frank grace heidi ivan judy", person, " ")
    for (i = 1; i <= np; i++) {
        email[i] = person[i] "@example.com"
        sub_[i] = "00u" hex(13)
        prole[i] = (i <= 4) ? 1 : (i <= 7) ? 2 : (i <= 9) ? 3 : 4
    }
    nr = 4
    rname[1] = "payments-oncall"; rprin[1] = "payments/api payments/worker"; rttl[1] = "300 600 900"
    rname[2] = "payments-debug";  rprin[2] = "payments/api";                 rttl[2] = "300 600"
    rname[3] = "platform-sre";    rprin[3] = "mesh/ingress mesh/egress mesh/control:admin"; rttl[3] = "600 900"
    rname[4] = "db-oncall";       rprin[4] = "payments/db";                  rttl[4] = "300 900"
    nreason = split("INC-4821 checkout latency p99 over SLO|CHG-1193 deploy window|INC-4830 stuck settlement batch|on-call handover check|CHG-1201 rotate worker TLS certs|INC-4833 card-auth 5xx spike|capacity review with SRE", reason, "|")
    issuer = "https://idp.example.com"
    nrev = 0
    for (c = 0; c < n; c++) {
        p = pick(np) + 1
        r = prole[p]
        k = split(rprin[r], pr, " ")
        # one principal, sometimes all of the role
        if (k > 1 && rnd() < 0.35) { prin = ""; for (j = 1; j <= k; j++) prin = prin (j > 1 ? "," : "") js(pr[j]) }
        else prin = js(pr[pick(k) + 1])
        split(rttl[r], tt, " ")
        ttl = tt[pick(length(tt)) + 1]
        # the last few are recent, so that some are valid right now
        t = (c >= n - 4) ? until - 60 - pick(ttl - 120) : when()
        # judy is blocked (a subject revocation) 5000 s before the end
        if (p == 10 && t > until - 5000) t = until - 5000 - 600 - pick(40000)
        rs = (r == 2 || rnd() < 0.7) ? js(reason[pick(nreason) + 1]) : "null"
        # reasons are typed by people: the fixture carries hostile ones
        if (c == 3) rs = js("<script>alert(\"pwned\")</script> <img src=x onerror=alert(1)>")
        if (c == 5) rs = js("=HYPERLINK(\"http://evil.example/\",\"click\")")
        if (c == 8) rs = js("rollback, then \"verify\" & report")
        s = serial()
        revoked = (c % 23 == 11) ? "true" : "false"
        printf "{\"t\":\"cert\",\"serial\":%s,\"key_id\":%s,\"subject\":%s,\"email\":%s,\"issuer\":%s,\"role\":%s,\"principals\":[%s],\"reason\":%s,\"after\":%d,\"ttl\":%d,\"revoked\":%s,\"client_address\":%s}\n", \
            js(s), js(email[p] "/" rname[r] "/" hex(4)), js(sub_[p]), js(email[p]), js(issuer), js(rname[r]), prin, rs, t - 30, ttl, revoked, js("10.20." pick(8) "." (pick(250) + 2))
        if (revoked == "true")
            printf "{\"t\":\"rev\",\"kind\":\"serial\",\"value\":%s,\"reason\":%s,\"revoked_by\":%s,\"at\":%d}\n", js(s), js("laptop reported stolen"), js("carol@example.com"), t + 60
    }
    if (!empty) {
        printf "{\"t\":\"rev\",\"kind\":\"subject\",\"value\":%s,\"reason\":%s,\"revoked_by\":%s,\"at\":%d}\n", js(sub_[10]), js("left the company"), js("carol@example.com"), until - 5000
        printf "{\"t\":\"rev\",\"kind\":\"key_fingerprint\",\"value\":%s,\"reason\":%s,\"revoked_by\":%s,\"at\":%d}\n", js("SHA256:" hex(43)), js("key found in a public repository"), js("heidi@example.com"), until - 20000
        nd = int(n / 8) + 2
        for (d = 0; d < nd; d++) {
            p = pick(np) + 1
            if (d == 0)
                printf "{\"t\":\"denial\",\"at\":%d,\"subject\":%s,\"email\":null,\"issuer\":%s,\"principals\":[%s],\"reason\":%s}\n", when(), js("ci-deploy-bot"), js("https://ci.example.com"), js("payments/api"), js("no role matches this identity (issuer https://ci.example.com is not trusted by any role)")
            else if (d == 1)
                printf "{\"t\":\"denial\",\"at\":%d,\"subject\":%s,\"email\":%s,\"issuer\":%s,\"principals\":[%s],\"reason\":%s}\n", when(), js(sub_[5]), js(email[5]), js(issuer), js("payments/api"), js("role payments-debug requires a reason")
            else
                printf "{\"t\":\"denial\",\"at\":%d,\"subject\":%s,\"email\":%s,\"issuer\":%s,\"principals\":[%s],\"reason\":%s}\n", when(), js(sub_[p]), js(email[p]), js(issuer), js("payments/db"), js("principal payments/db is not granted: no role of " email[p] " names it")
        }
    }
}' | jq -s --argjson until "$until_epoch" --argjson days "$days" \
    --argjson broken "$broken" '
  def utc: todate;
  ([.[] | select(.t == "cert")] | sort_by(.after)) as $certs
  | ([.[] | select(.t == "rev")] | sort_by(.at)) as $revs
  | ([.[] | select(.t == "denial")] | sort_by(.at)) as $dens
  | ($certs | map({serial, key_id, subject, email, issuer, role, principals,
        reason, valid_after: (.after | utc),
        valid_before: ((.after + .ttl) | utc), duration_seconds: .ttl,
        revoked, client_address})) as $access
  | ($certs | map(select(.revoked | not)
        | select(.after <= $until and .after + .ttl > $until))) as $active
  | (($certs | length) + ($revs | length) + ($dens | length) + 1) as $records
  | {
      generated_at: ($until | utc),
      period: {since: (($until - $days * 86400) | utc), until: ($until | utc)},
      totals: {certificates: ($certs | length),
               subjects: ($certs | map(.subject) | unique | length),
               denials: ($dens | length), revocations: ($revs | length),
               active_now: ($active | length)},
      access: $access,
      issuance_by_hour: ($certs | group_by((.after + 30) / 3600 | floor)
          | map({hour: (((.[0].after + 30) / 3600 | floor) * 3600 | utc),
                 count: length})),
      revocations: ($revs | map({kind, value, reason, revoked_by,
          revoked_at: (.at | utc)})),
      denials: ($dens | map({at: (.at | utc), subject, email, issuer,
          principals, reason})),
      active: ($active | sort_by(.after + .ttl) | map({serial, subject, email,
          principals, role, valid_before: ((.after + .ttl) | utc)})),
      integrity: (if $broken == 1 then
            {verified: false, records: $records, head_seq: $records,
             head_hash: "HEAD_HASH", first_bad: (($records / 3) | floor),
             message: ("record \(($records / 3) | floor) (certificate serial \($access[2].serial)): hash mismatch")}
          else
            {verified: true, records: $records, head_seq: $records,
             head_hash: "HEAD_HASH", first_bad: null,
             message: "chain verified through record \($records)"}
          end)
    }')
hash=$(printf '%s\n' "$doc" | sha256sum | cut -c1-64)
printf '%s\n' "$doc" | sed "s/HEAD_HASH/$hash/"
