#!/usr/bin/env bash
# The host helpers without a meshcad: `meshca ca-keys --output` and
# `meshca krl --output` against a small file server playing the service.
# Valid content (made by ssh-keygen) is installed atomically and sshd
# honours it; corrupted, truncated, oversized or error answers are refused
# with a non-zero exit and the old file stays byte for byte; TLS is verified
# (a private root via --cacert or the config's ca_file); plain http off
# loopback is refused.
. "$(dirname "$0")/../lib/harness.sh"

export HOME=$T_TMP/home
mkdir -p "$HOME" "$T_TMP/www"
unset MESHCA_SERVER MESHCA_CA_FILE
SERVE=$MESHCA_TOP/tests/tools/cli-fileserver.js

port=$(free_port)
node "$SERVE" "$T_TMP/www" "$port" >>"$T_LOG" 2>&1 &
srv=$!
at_exit "kill $srv"
wait_port "$port" 10 || bail "file server did not start"
URL=http://127.0.0.1:$port

# What a healthy service publishes: two CA keys and a KRL revoking serial 7.
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/ca" >>"$T_LOG" 2>&1
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/next_ca" >>"$T_LOG" 2>&1
cat "$T_TMP/ca.pub" "$T_TMP/next_ca.pub" >"$T_TMP/www/ca-keys"
printf 'serial: 7\n' >"$T_TMP/spec"
ssh-keygen -q -k -f "$T_TMP/www/krl" -s "$T_TMP/ca.pub" "$T_TMP/spec" >>"$T_LOG" 2>&1 || bail "ssh-keygen -k"

host() { "$MESHCA_BIN" "$@" --server "$URL" >>"$T_LOG" 2>&1; echo $?; }

check_eq "ca-keys: fetched and installed (exit 0)" "$(host ca-keys --output "$T_TMP/trusted.pub")" 0
check "the file is what the service published" cmp "$T_TMP/trusted.pub" "$T_TMP/www/ca-keys"
check_eq "it is 0644 for sshd" "$(stat -c %a "$T_TMP/trusted.pub")" 644
check_eq "krl: fetched and installed (exit 0)" "$(host krl --output "$T_TMP/host.krl")" 0
check "the KRL is what the service published" cmp "$T_TMP/host.krl" "$T_TMP/www/krl"

# sshd uses both: serial 7 is refused, serial 8 logs in.
sshd_start "$T_TMP/trusted.pub" "$T_TMP/host.krl"
sshd_principals "$T_USER" payments/api
for s in 7 8; do
    ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/u$s" >>"$T_LOG" 2>&1
    ssh-keygen -q -s "$T_TMP/ca" -I "u$s" -n payments/api -z "$s" -V -1m:+5m "$T_TMP/u$s.pub" >>"$T_LOG" 2>&1
done
check "sshd accepts serial 8 with the fetched CA keys and KRL" ssh_as "$T_TMP/u8" "$T_TMP/u8-cert.pub" "$T_USER" true
check_fails "sshd refuses serial 7, revoked by the fetched KRL" ssh_as "$T_TMP/u7" "$T_TMP/u7-cert.pub" "$T_USER" true

cp "$T_TMP/host.krl" "$T_TMP/host.krl.good"
cp "$T_TMP/trusted.pub" "$T_TMP/trusted.good"
keeps_krl() { cmp -s "$T_TMP/host.krl" "$T_TMP/host.krl.good"; }
keeps_keys() { cmp -s "$T_TMP/trusted.pub" "$T_TMP/trusted.good"; }

# A misbehaving service
head -c 20 "$T_TMP/host.krl.good" >"$T_TMP/www/krl"
check_eq "a truncated KRL is refused (exit 1)" "$(host krl --output "$T_TMP/host.krl")" 1
check "the old KRL stays" keeps_krl
printf 'SSHKRL\n\0garbage' >"$T_TMP/www/krl"
check_eq "a corrupted KRL is refused (exit 1)" "$(host krl --output "$T_TMP/host.krl")" 1
check "the old KRL stays" keeps_krl
check "sshd still accepts serial 8 (a broken KRL would lock everyone out)" ssh_as "$T_TMP/u8" "$T_TMP/u8-cert.pub" "$T_USER" true
printf '<html>maintenance</html>' >"$T_TMP/www/krl"
check_eq "an HTML page instead of a KRL is refused" "$(host krl --output "$T_TMP/host.krl")" 1
check "the old KRL stays" keeps_krl
# An answer larger than any KRL meshcad builds (16 MiB, the parser's own
# limit: KRL_MAX_SIZE) is cut off before it is parsed.
head -c $((17 * 1024 * 1024)) /dev/zero >"$T_TMP/www/krl"
out=$("$MESHCA_BIN" krl --server "$URL" --output "$T_TMP/host.krl" 2>&1); rc=$?
check_eq "a 17 MiB answer is cut off (exit 3)" "$rc" 3
check_match "and says why" "$out" 'larger than 16 MiB'
check "the old KRL stays" keeps_krl
# A valid KRL over 4 MiB (every other answer's cap) is what a large ledger
# makes: it was refused as too large, and the host kept the older KRL,
# still accepting what had been revoked since.
awk 'BEGIN { pad = sprintf("%02000d", 0); for (i = 0; i < 2400; i++) printf "id: gone-%d-%s\n", i, pad; print "serial: 7" }' >"$T_TMP/bigspec"
ssh-keygen -q -k -f "$T_TMP/www/krl" -s "$T_TMP/ca.pub" "$T_TMP/bigspec" >>"$T_LOG" 2>&1 || bail "ssh-keygen -k (big)"
check "the big KRL is over 4 MiB" test "$(stat -c %s "$T_TMP/www/krl")" -gt $((4 * 1024 * 1024))
check_eq "a valid 4.6 MiB KRL is installed (exit 0)" "$(host krl --output "$T_TMP/host.krl")" 0
check "it is what the service published" cmp "$T_TMP/host.krl" "$T_TMP/www/krl"
check_fails "sshd refuses serial 7 with it" ssh_as "$T_TMP/u7" "$T_TMP/u7-cert.pub" "$T_USER" true
check "and accepts serial 8" ssh_as "$T_TMP/u8" "$T_TMP/u8-cert.pub" "$T_USER" true
cp "$T_TMP/host.krl.good" "$T_TMP/host.krl"

printf 'not a key\n' >"$T_TMP/www/ca-keys"
check_eq "ca-keys: a non-key line is refused (exit 1)" "$(host ca-keys --output "$T_TMP/trusted.pub")" 1
check "the old CA keys stay" keeps_keys
{ cat "$T_TMP/ca.pub"; printf 'ssh-ed25519 AAAA\0junk\n'; } >"$T_TMP/www/ca-keys"
check_eq "ca-keys: a NUL byte hiding junk is refused" "$(host ca-keys --output "$T_TMP/trusted.pub")" 1
check "the old CA keys stay" keeps_keys
: >"$T_TMP/www/ca-keys"
check_eq "ca-keys: an empty answer is refused" "$(host ca-keys --output "$T_TMP/trusted.pub")" 1
check "the old CA keys stay" keeps_keys

echo 503 >"$T_TMP/www/status"
echo '{"error":"unavailable","message":"the database is down","request_id":"r-1"}' >"$T_TMP/www/error.json"
out=$("$MESHCA_BIN" krl --server "$URL" --output "$T_TMP/host.krl" 2>&1); rc=$?
check_eq "a 503 answer: exit 3" "$rc" 3
check_match "the server's message and request id are shown" "$out" 'the database is down \(HTTP 503, request r-1\)'
check "the old KRL stays" keeps_krl
rm -f "$T_TMP/www/status"

# The identity provider's pages a person is sent to are held to the rule of
# every URL meshca fetches: an authorization endpoint over plain http off
# loopback (or with another scheme, which xdg-open hands to any program)
# was printed and opened, and login waited five minutes for a redirect,
# while a token endpoint named the same way was refused.
printf '{"issuer": "http://127.0.0.1:1/idp", "client_id": "meshca", "token_endpoint": "http://127.0.0.1:1/idp/token", "authorization_endpoint": "%s"}\n' \
    'http://idp.example.com/authorize' >"$T_TMP/www/config.json"
out=$(timeout 20 "$MESHCA_BIN" login --flow browser --files --server "$URL" 2>&1); rc=$?
check_eq "login: an http:// authorization endpoint off loopback is refused (exit 1)" "$rc" 1
check_match "naming it and the rule" "$out" "authorization endpoint: refusing plain HTTP to .*idp.example.com"
check_fails "and it is not shown to be opened" grep -q 'Open this URL' <<<"$out"
printf '{"issuer": "http://127.0.0.1:1/idp", "client_id": "meshca", "token_endpoint": "http://127.0.0.1:1/idp/token", "authorization_endpoint": "%s"}\n' \
    'file:///etc/passwd' >"$T_TMP/www/config.json"
out=$(timeout 20 "$MESHCA_BIN" login --flow browser --files --server "$URL" 2>&1); rc=$?
check_eq "login: a file: authorization endpoint is refused (exit 1)" "$rc" 1
rm -f "$T_TMP/www/config.json"

kill "$srv"; wait "$srv" 2>/dev/null
check_eq "server down: exit 3" "$(host krl --output "$T_TMP/host.krl")" 3
check "the old KRL stays" keeps_krl
check_eq "no temp files left next to the outputs" "$(ls -A "$T_TMP" | grep -c '\.tmp\.')" 0

# TLS: a private root, given with --cacert or the config's ca_file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T_TMP/tls.key" -out "$T_TMP/tls.pem" >>"$T_LOG" 2>&1 || bail "openssl req"
cp "$T_TMP/host.krl.good" "$T_TMP/www/krl"
cp "$T_TMP/trusted.good" "$T_TMP/www/ca-keys"
tport=$(free_port)
node "$SERVE" "$T_TMP/www" "$tport" "$T_TMP/tls.pem" "$T_TMP/tls.key" >>"$T_LOG" 2>&1 &
tsrv=$!
at_exit "kill $tsrv"
wait_port "$tport" 10 || bail "TLS file server did not start"
TURL=https://127.0.0.1:$tport
rm -f "$T_TMP/host.krl"
out=$("$MESHCA_BIN" krl --server "$TURL" --output "$T_TMP/host.krl" 2>&1); rc=$?
check_eq "https with an unknown root: refused (exit 3)" "$rc" 3
check_match "because the certificate is not trusted" "$out" '[Cc]ertificate'
check_match "the TLS failure names an unknown CA and how to add one" "$out" 'TLS verification failed: unknown CA.*--cacert FILE'
check_fails "nothing written" test -e "$T_TMP/host.krl"
check_eq "https with --cacert: exit 0" "$("$MESHCA_BIN" krl --server "$TURL" --cacert "$T_TMP/tls.pem" --output "$T_TMP/host.krl" >>"$T_LOG" 2>&1; echo $?)" 0
check "and the KRL is installed" cmp "$T_TMP/host.krl" "$T_TMP/host.krl.good"
mkdir -p "$HOME/.config/meshca"
printf '{"server": "%s", "ca_file": "%s"}\n' "$TURL" "$T_TMP/tls.pem" >"$HOME/.config/meshca/config.json"
check_eq "server and ca_file from ~/.config/meshca/config.json" "$("$MESHCA_BIN" ca-keys --output "$T_TMP/t2.pub" >>"$T_LOG" 2>&1; echo $?)" 0
check "the CA keys arrived" test -s "$T_TMP/t2.pub"
printf '{"server": 42}\n' >"$HOME/.config/meshca/config.json"
out=$("$MESHCA_BIN" krl --output "$T_TMP/host.krl" 2>&1); rc=$?
check_match "a broken config is named with the reason" "$out" 'config.json: "server" must be a non-empty string'
check_fails "and the command fails" test "$rc" = 0
rm -f "$HOME/.config/meshca/config.json"

# TLS failures say what failed: a name mismatch and an expired
# certificate, both from a CA the client is given with --cacert.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=meshca-test-ca -keyout "$T_TMP/tca.key" -out "$T_TMP/tca.pem" >>"$T_LOG" 2>&1 || bail "openssl req (CA)"
# tls_leaf NAME SAN DAYS: a server certificate NAME.pem/NAME.key signed by that CA
tls_leaf() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=leaf \
        -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.csr" >>"$T_LOG" 2>&1 &&
    printf 'subjectAltName=%s\n' "$2" >"$T_TMP/$1.ext" &&
    openssl x509 -req -in "$T_TMP/$1.csr" -CA "$T_TMP/tca.pem" -CAkey "$T_TMP/tca.key" \
        -days "$3" -extfile "$T_TMP/$1.ext" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1 || bail "openssl x509 ($1)"
}
tls_leaf wrongname DNS:meshca.example.com 1
tls_leaf expired IP:127.0.0.1 -1
# tls_try NAME: meshca krl against a TLS file server with certificate NAME
tls_try() {
    local p s
    p=$(free_port)
    node "$SERVE" "$T_TMP/www" "$p" "$T_TMP/$1.pem" "$T_TMP/$1.key" >>"$T_LOG" 2>&1 &
    s=$!
    wait_port "$p" 10 || bail "TLS file server ($1) did not start"
    "$MESHCA_BIN" krl --server "https://127.0.0.1:$p" --cacert "$T_TMP/tca.pem" --output "$T_TMP/host.krl" 2>&1
    echo "exit $?"
    kill "$s"; wait "$s" 2>/dev/null
}
out=$(tls_try wrongname)
check_match "a certificate for another name: a name mismatch, said (exit 3)" "$out" 'TLS verification failed: name mismatch.*exit 3'
out=$(tls_try expired)
check_match "an expired certificate: said (exit 3)" "$out" 'TLS verification failed: the server.s certificate has expired.*exit 3'

# --output - is standard output
tout="--server $TURL --cacert $T_TMP/tls.pem --output -"
check "krl --output - writes the KRL to stdout" bash -c "'$MESHCA_BIN' krl $tout 2>>'$T_LOG' | cmp - '$T_TMP/host.krl.good'"
check "ca-keys --output - writes the keys to stdout" bash -c "'$MESHCA_BIN' ca-keys $tout 2>>'$T_LOG' | cmp - '$T_TMP/trusted.good'"
check_fails "and no file named -" test -e ./-

# Usage errors (exit 2), each saying what to fix
out=$("$MESHCA_BIN" krl --server "127.0.0.1:$port" --output "$T_TMP/host.krl" 2>&1); rc=$?
check_eq "--server without a scheme: usage (exit 2)" "$rc" 2
check_match "suggesting https://" "$out" "has no scheme: say https://127.0.0.1:$port"
check_eq "meshca -h: exit 0" "$("$MESHCA_BIN" -h >/dev/null 2>&1; echo $?)" 0
check_match "and prints the usage" "$("$MESHCA_BIN" -h 2>/dev/null)" '^usage: meshca .*COMMAND'

# Plain http is for loopback only
out=$("$MESHCA_BIN" krl --server http://meshca.invalid --output "$T_TMP/host.krl" 2>&1); rc=$?
check_eq "plain http off loopback: a usage error (exit 2), not unreachable" "$rc" 2
check_match "with what to do" "$out" 'use https://.*--insecure-http'
out=$("$MESHCA_BIN" krl --server http://meshca.invalid --insecure-http --output "$T_TMP/host.krl" 2>&1)
check_fails "--insecure-http lets it try (and fail on DNS here)" bash -c "grep -q 'refusing plain HTTP' <<<'$out'"
check_eq "no --output: usage (exit 2)" "$("$MESHCA_BIN" krl --server "$URL" >/dev/null 2>&1; echo $?)" 2
check_eq "no server anywhere: exit 2" "$("$MESHCA_BIN" krl --output x >/dev/null 2>&1; echo $?)" 2

out=$("$MESHCA_BIN" host-config --server https://meshca.example.com)
check_match "host-config: TrustedUserCAKeys" "$out" 'TrustedUserCAKeys /etc/ssh/meshca_ca.pub'
check_match "host-config: RevokedKeys" "$out" 'RevokedKeys /etc/ssh/meshca.krl'
check_match "host-config: AuthorizedPrincipalsFile" "$out" 'AuthorizedPrincipalsFile /etc/ssh/principals/%u'
check_match "host-config: a timer every minute" "$out" 'OnUnitActiveSec=60s'
check_match "host-config: the refresh commands" "$out" "ExecStart=$(readlink -f "$MESHCA_BIN") krl --server https://meshca.example.com --output /etc/ssh/meshca.krl"

# host-config's units, as a packaged host (meshca in /usr/bin) would paste
# them: they run the meshca that printed them, systemd takes them, and the
# timer is the packaged one (its jitter included).
ROOT=$T_TMP/root
install -D -m 0755 "$MESHCA_BIN" "$ROOT/usr/bin/meshca"
mkdir -p "$T_TMP/units"
out=$("$ROOT/usr/bin/meshca" host-config --server https://meshca.example.com)
sed -n '/^# 3\./,/^$/p' <<<"$out" | grep -v '^#' >"$T_TMP/units/meshca-refresh.service"
sed -n '/^# .*meshca-refresh\.timer/,$p' <<<"$out" | grep -v '^#' >"$T_TMP/units/meshca-refresh.timer"
check_eq "host-config's service runs the meshca that printed it" \
    "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$T_TMP/units/meshca-refresh.service" | sort -u)" "$ROOT/usr/bin/meshca"
check "systemd-analyze verify takes host-config's service" \
    systemd-analyze verify "$T_TMP/units/meshca-refresh.service"
check "and its timer" systemd-analyze verify "$T_TMP/units/meshca-refresh.timer"
timer_lines() { grep -E '^(OnBootSec|OnUnitActiveSec|AccuracySec|RandomizedDelaySec|WantedBy)=' "$1"; }
check_eq "host-config's timer is the packaged one (RandomizedDelaySec too)" \
    "$(timer_lines "$T_TMP/units/meshca-refresh.timer")" "$(timer_lines "$MESHCA_TOP/contrib/systemd/meshca-refresh.timer")"
# host-config --insecure-http (plain http off loopback, as it requires):
# the commands it prints must carry the flag, or every refresh is refused.
out=$("$MESHCA_BIN" host-config --server http://meshca.invalid --insecure-http)
cmd=$(sed -n 's/^ExecStart=\(.* krl .*\)$/\1/p' <<<"$out")
check_match "host-config --insecure-http: the printed krl command keeps the flag" "$cmd" ' --insecure-http( |$)'
bash -c "${cmd//\/etc\/ssh\//$T_TMP/}" >>"$T_LOG" 2>&1; rc=$?
check_eq "and runs: not refused as plain http (2), it tries (3: DNS here)" "$rc" 3
