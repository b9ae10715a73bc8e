#!/usr/bin/env bash
# plot.sh RESULTS.json > chart.svg: throughput (achieved certificates/s) and
# p99 latency against offered load, from make bench's results.
set -eu
json=$1
jq -r '.runs[] | select(.offered_rate > 0) | "\(.offered_rate) \(.created_per_second) \(.latency_ms.p99) \(.latency_ms.p50)"' "$json" |
awk -v sat="$(jq .saturation_certs_per_s "$json")" '
{ off[NR] = $1; ach[NR] = $2; p99[NR] = $3; p50[NR] = $4; n = NR
  if ($1 > maxx) maxx = $1; if ($2 > maxy) maxy = $2; if ($3 > maxl) maxl = $3 }
END {
  if (sat > maxy) maxy = sat; if (maxx < sat) maxx = sat
  maxx *= 1.1; maxy *= 1.1; maxl = (maxl < 1 ? 1 : maxl * 1.2)
  W = 720; H = 420; L = 70; R = 70; T = 40; B = 50; pw = W - L - R; ph = H - T - B
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
  printf "<text x=\"%d\" y=\"22\" font-size=\"15\">meshcad: certificates/s and p99 latency vs offered load (saturation %.0f/s)</text>\n", L, sat
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T + ph, L + pw, T + ph
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, T + ph
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L + pw, T, L + pw, T + ph
  for (i = 0; i <= 4; i++) {
    y = T + ph - i * ph / 4
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>\n", L - 6, y + 4, maxy * i / 4
    printf "<text x=\"%d\" y=\"%d\" fill=\"#c33\">%.1f ms</text>\n", L + pw + 6, y + 4, maxl * i / 4
    x = L + i * pw / 4
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.0f</text>\n", x, T + ph + 18, maxx * i / 4
  }
  printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">offered requests/s</text>\n", L + pw / 2, H - 8
  printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n", L, T + ph - sat / maxy * ph, L + pw, T + ph - sat / maxy * ph
  pa = ""; pl = ""
  for (i = 1; i <= n; i++) {
    x = L + off[i] / maxx * pw
    pa = pa sprintf("%.1f,%.1f ", x, T + ph - ach[i] / maxy * ph)
    pl = pl sprintf("%.1f,%.1f ", x, T + ph - p99[i] / maxl * ph)
  }
  printf "<polyline points=\"%s\" fill=\"none\" stroke=\"#36c\" stroke-width=\"2\"/>\n", pa
  printf "<polyline points=\"%s\" fill=\"none\" stroke=\"#c33\" stroke-width=\"2\"/>\n", pl
  for (i = 1; i <= n; i++) {
    x = L + off[i] / maxx * pw
    printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#36c\"/>\n", x, T + ph - ach[i] / maxy * ph
    printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#c33\"/>\n", x, T + ph - p99[i] / maxl * ph
  }
  printf "<text x=\"%d\" y=\"%d\" fill=\"#36c\">achieved certificates/s</text>\n", L + 10, T + 14
  printf "<text x=\"%d\" y=\"%d\" fill=\"#c33\">p99 latency (right axis)</text>\n", L + 10, T + 30
  printf "</svg>\n"
}'
