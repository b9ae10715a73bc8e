# A meshcad stack for integration tests: source after harness.sh.
#   stack_init [POLICY_JSON]  PostgreSQL, a CA key, minted-token issuer (jwks_file),
#                             a policy, a config in $T_TMP/meshcad.json, migrations
#   stack_config_extra JSON   merged into the config (jq) before start
#   stack_load_config         tokens reusable, no rate limit (load runs)
#   stack_start               meshcad serve; sets MESHCAD_URL
#   stack_start_pair          two replicas on one database: A_URL, B_URL, A_PID, B_PID
#   stack_load_start [pair]   stack_init + stack_load_config + stack_start (pair: stack_start_pair)
#   loadgen_run URL ARGS...   loadgen run against URL with the minted tokens (LOADGEN_TOKENS,
#                             default $T_TMP/tokens.txt), output to the log; ARGS are loadgen's
#   token N                   the Nth minted ID token (subject bench-user-N, group bench)
#   mint_token CLAIMS_JSON    a token with exactly these claims (signed by the stack's key)
#   issue TOKEN BODY          POST /v1/certificates; sets HTTP_STATUS and HTTP_BODY
#   returned_missing          how many serials loadgen returned the ledger lacks
STACK_ISSUER=https://idp.test.invalid

stack_init() {
    local policy=${1:-}
    pg_start
    "$BUILD/tests/bench/loadgen" mint --issuer "$STACK_ISSUER" --audience meshca \
        --subjects 50 --dir "$T_TMP" >>"$T_LOG" 2>&1 || bail "minting tokens failed"
    "$MESHCAD_BIN" keygen --type ed25519 --out "$T_TMP/ca.pem" >"$T_TMP/ca.pub" 2>>"$T_LOG" ||
        bail "meshcad keygen failed"
    ledger_keys "$T_TMP"
    if [ -z "$policy" ]; then
        policy='{ "admins": { "groups": ["meshca-admins"] },
                  "roles": [ { "name": "bench", "match": { "groups": ["bench"] },
                               "principals": ["payments/api", "payments/worker"],
                               "default_ttl": "5m", "max_ttl": "15m" } ] }'
    fi
    echo "$policy" >"$T_TMP/policy.json"
    MESHCAD_PORT=$(free_port)
    cat >"$T_TMP/meshcad.json" <<JSON
{ "listen": "127.0.0.1:$MESHCAD_PORT", "database": "$PG_URL",
  "ca_keys": [ { "path": "ca.pem", "state": "active" } ],
  "issuers": [ { "issuer": "$STACK_ISSUER", "audiences": ["meshca"],
                 "jwks_file": "jwks.json", "max_token_age": "2h" } ],
  "policy": "policy.json",
  "ledger": { "origin": "meshca.test/log", "log_key": "log.pem", "mac_key": "ledger.key",
              "integrate_interval": 50 },
  "limits": { "rate_per_minute": 1000 } }
JSON
    "$MESHCAD_BIN" migrate --config "$T_TMP/meshcad.json" >>"$T_LOG" 2>&1 || bail "meshcad migrate failed"
}

# ledger_keys DIR: the transparency log's signing key and the ledger MAC key.
ledger_keys() {
    "$MESHCAD_BIN" keygen --type ed25519 --out "$1/log.pem" >/dev/null 2>>"$T_LOG" ||
        bail "meshcad keygen (log key) failed"
    (umask 077 && head -c 32 /dev/urandom >"$1/ledger.key")
}

# stack_load_config: for load runs: every minted token may mint many
# certificates, and no per-subject rate limit.
stack_load_config() {
    stack_config_extra '{"issuers": [{"issuer": "https://idp.test.invalid", "audiences": ["meshca"], "jwks_file": "jwks.json", "max_token_age": "2h", "max_certificates_per_token": 1000000}], "limits": {"rate_per_minute": 0}}'
}

# stack_load_start [pair]: a stack for load runs, one meshcad or (pair) two.
stack_load_start() {
    stack_init
    stack_load_config
    if [ "${1:-}" = pair ]; then stack_start_pair; else stack_start; fi
}

# loadgen_run URL ARGS...: run it in the background (`loadgen_run ... &`) to
# wait for it later.
loadgen_run() {
    local url=$1
    shift
    "$BUILD/tests/bench/loadgen" run --url "$url" --tokens "${LOADGEN_TOKENS:-$T_TMP/tokens.txt}" "$@" \
        >>"$T_LOG" 2>&1
}

stack_config_extra() {
    jq -s '.[0] * .[1]' "$T_TMP/meshcad.json" - <<<"$1" >"$T_TMP/meshcad.json.new" &&
        mv "$T_TMP/meshcad.json.new" "$T_TMP/meshcad.json"
}

stack_start() { meshcad_start "$T_TMP/meshcad.json"; }

# stack_start_login: the client suites' stack: the test identity provider
# (idp_start first) as issuer and login provider, the example policy, meshcad
# started, MESHCA_SERVER pointing at it and HOME a fresh $T_TMP/home.
stack_start_login() {
    stack_init
    cp "$MESHCA_TOP/contrib/policy.example.json" "$T_TMP/policy.json"
    stack_config_extra "{\"issuers\": [{\"issuer\": \"$IDP_URL\", \"audiences\": [\"meshca\"]}],
  \"login\": {\"issuer\": \"$IDP_URL\", \"client_id\": \"meshca\", \"scopes\": [\"openid\", \"email\", \"groups\", \"profile\"]}}"
    stack_start
    export MESHCA_SERVER=$MESHCAD_URL
    export HOME=$T_TMP/home
    mkdir -p "$HOME"
}

# stack_start_pair: replica A (the stack's config) and replica B (the same
# config on another port, $T_TMP/b.json) on one database.  Sets A_URL,
# B_URL, A_PID, B_PID; MESHCAD_URL and MESHCAD_PID stay A's.
stack_start_pair() {
    stack_start
    A_URL=$MESHCAD_URL A_PID=$MESHCAD_PID
    sed "s/127.0.0.1:$MESHCAD_PORT/127.0.0.1:PORT_B/" "$T_TMP/meshcad.json" >"$T_TMP/b.json"
    MESHCAD_PORT=$(free_port)
    sed -i "s/PORT_B/$MESHCAD_PORT/" "$T_TMP/b.json"
    MESHCAD_URL=http://127.0.0.1:$MESHCAD_PORT
    meshcad_start "$T_TMP/b.json"
    B_URL=$MESHCAD_URL B_PID=$MESHCAD_PID
    MESHCAD_URL=$A_URL MESHCAD_PID=$A_PID
}

token() { sed -n "$(( $1 + 1 ))p" "$T_TMP/tokens.txt"; }

# returned_missing: how many of the serials loadgen returned ($T_TMP/serials,
# from --serials; left sorted in $T_TMP/returned) the ledger lacks.
returned_missing() {
    sort -u "$T_TMP/serials" >"$T_TMP/returned"
    psql_admin -c "SELECT serial FROM certificates" | sort -u >"$T_TMP/ledger"
    comm -23 "$T_TMP/returned" "$T_TMP/ledger" | wc -l
}

# issue TOKEN BODY [PATH]
issue() {
    local out
    out=$(curl -sS -o "$T_TMP/resp" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        --data-binary "$2" "$MESHCAD_URL${3:-/v1/certificates}" 2>>"$T_LOG")
    HTTP_STATUS=$out
    HTTP_BODY=$(cat "$T_TMP/resp")
    echo "${3:-/v1/certificates} -> $HTTP_STATUS $HTTP_BODY" >>"$T_LOG"
}

# A fresh user key pair; prints the public key line, private key at $T_TMP/$1.
user_key() {
    rm -f "$T_TMP/$1" "$T_TMP/$1.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$T_TMP/$1" >/dev/null && cat "$T_TMP/$1.pub"
}

# mint_token CLAIMS_JSON: a token with exactly these claims, signed by the
# stack's issuer key (so it verifies unless the claims are wrong).
mint_token() { "$BUILD/tests/bench/loadgen" sign --key "$T_TMP/signing.pem" "$1"; }

# claims_for SUB GROUPS_JSON [EXTRA_JSON]: a valid claim set for the stack's issuer.
claims_for() {
    local now
    now=$(date +%s)
    jq -cn --arg iss "$STACK_ISSUER" --arg sub "$1" --argjson groups "$2" \
        --argjson now "$now" --argjson extra "${3:-{\}}" \
        '{iss: $iss, aud: "meshca", sub: $sub, email: ($sub + "@example.com"),
          email_verified: true, groups: $groups, iat: $now, exp: ($now + 600),
          jti: ($sub + "-" + ($now | tostring) + "-" + (now | tostring))} + $extra'
}
