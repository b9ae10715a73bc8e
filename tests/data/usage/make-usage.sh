#!/bin/sh
# make-usage.sh ROLES HOSTS PEOPLE > report.json: a GET /v1/report document
# whose "usage" has the access map of ROLES roles, HOSTS hosts and PEOPLE
# people (issue #18: the map must stay readable at 50 roles and 500 hosts).
# Deterministic: the same arguments give the same bytes.  Services are
# svc00..svcNN, one per role; each role grants its service's api and
# worker principals (the worker grant of every fifth role is never used:
# its worker hosts are reached as api);
# hosts are svcNN-api-K / svcNN-worker-K; people sit in five email domains.
set -eu
roles=${1:-50} hosts=${2:-500} people=${3:-2000}
awk -v R="$roles" -v H="$hosts" -v P="$people" 'BEGIN {
    printf "{\"generated_at\":\"2026-11-30T12:00:00Z\",\"period\":{\"since\":\"2026-10-31T12:00:00Z\",\"until\":\"2026-11-30T12:00:00Z\"},"
    printf "\"totals\":{\"certificates\":0,\"subjects\":%d,\"denials\":0,\"revocations\":0,\"active_now\":0},", P
    printf "\"access\":[],\"issuance_by_hour\":[],\"revocations\":[],\"denials\":[],\"active\":[],"
    printf "\"usage\":{\"certificates\":{\"issued\":0,\"used\":0,\"list\":[]},\"roles\":[],\"principals\":[],"
    printf "\"use_after_revocation\":[],\"hosts\":[],\"unknown\":[],\"anomalies\":{\"rules\":{},\"anomalies\":[]},"
    printf "\"access_map\":{\"groups_roles\":["
    split("example.com corp.example.com contractors.example.net ops.example.org partner.example", dom, " ")
    n = 0
    for (r = 0; r < R; r++)
        for (d = 1; d <= 5; d++) {
            if ((r + d) % 3 == 0) continue
            printf "%s{\"group\":\"%s\",\"role\":\"role-%02d\",\"people\":%d,\"logins\":%d}", (n++ ? "," : ""), dom[d], r, 1 + (r * 7 + d * 13) % (P / R + 1), ((r * 31 + d * 17) % 97) * (6 - d)
        }
    printf "],\"roles_principals\":["
    n = 0
    for (r = 0; r < R; r++) {
        printf "%s{\"role\":\"role-%02d\",\"principal\":\"svc%02d/api\",\"granted\":true,\"logins\":%d}", (n++ ? "," : ""), r, r, 50 + (r * 37) % 400
        printf ",{\"role\":\"role-%02d\",\"principal\":\"svc%02d/worker\",\"granted\":true,\"logins\":%d}", r, r, (r % 5 == 0) ? 0 : 10 + (r * 11) % 90
    }
    printf "],\"principals_hosts\":["
    per = int(H / (2 * R)); if (per < 1) per = 1
    n = 0
    for (r = 0; r < R; r++)
        for (k = 1; k <= per; k++) {
            printf "%s{\"principal\":\"svc%02d/api\",\"host\":\"svc%02d-api-%d\",\"logins\":%d}", (n++ ? "," : ""), r, r, k, 5 + (r * k * 13) % 40
            printf ",{\"principal\":\"svc%02d/%s\",\"host\":\"svc%02d-worker-%d\",\"logins\":%d}", r, (r % 5 == 0) ? "api" : "worker", r, k, 1 + (r + k) % 9
        }
    printf "]}}}\n"
}'
