# Shared by the access-request and webhook suites (source after harness.sh
# and stack.sh): the loopback webhook receiver and meshcad's webhooks to it,
# genuine ID tokens, and an authenticated API call.

# hook_start: the receiver (tests/tools/webhook-receiver.js) on HOOK_PORT,
# appending each delivery to HOOK_OUT; stopped at exit.
hook_start() {
    node "$MESHCA_TOP/tests/tools/webhook-receiver.js" "$HOOK_PORT" "$HOOK_OUT" >>"$T_LOG" 2>&1 &
    HOOK_PID=$!
    at_exit "kill $HOOK_PID 2>/dev/null; wait $HOOK_PID 2>/dev/null"
    wait_port "$HOOK_PORT" 10 || bail "webhook receiver did not start"
}

# hook_stack_start: meshcad (stack_init done) with the test identity
# provider as its issuer and two webhooks, signed with a new
# $T_TMP/hook.secret: json to HOOK_PORT/hook, slack to HOOK_PORT/slack for
# request.created and break_glass.used.  Starts the receiver on a free
# HOOK_PORT into an empty HOOK_OUT, then meshcad.  More config: call
# stack_config_extra first.
hook_stack_start() {
    HOOK_PORT=$(free_port)
    HOOK_OUT=$T_TMP/hook.jsonl
    (umask 077 && openssl rand -hex 32 | tr -d '\n' >"$T_TMP/hook.secret")
    stack_config_extra "{\"issuers\": [{\"issuer\": \"$IDP_URL\", \"audiences\": [\"meshca\"]}],
  \"notifications\": {\"webhooks\": [
    {\"url\": \"http://127.0.0.1:$HOOK_PORT/hook\", \"format\": \"json\", \"secret_file\": \"hook.secret\"},
    {\"url\": \"http://127.0.0.1:$HOOK_PORT/slack\", \"format\": \"slack\", \"secret_file\": \"hook.secret\",
     \"events\": [\"request.created\", \"break_glass.used\"]}]}}"
    hook_start
    : >"$HOOK_OUT"
    stack_start
}

# tok ACCOUNT: a genuine ID token of ACCOUNT (device flow at the provider).
tok() {
    next_second
    node "$MESHCA_TOP/tests/idp/person.js" token "$IDP_URL" "$1" 2>>"$T_LOG" ||
        bail "no ID token for $1"
}

# api METHOD PATH TOKEN [BODY]: sets HTTP_STATUS and HTTP_BODY.
api() {
    HTTP_STATUS=$(curl -sS -o "$T_TMP/resp" -w '%{http_code}' -X "$1" \
        -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
        ${4:+--data-binary "$4"} "$MESHCAD_URL$2" 2>>"$T_LOG")
    HTTP_BODY=$(cat "$T_TMP/resp")
    echo "$1 $2 -> $HTTP_STATUS $HTTP_BODY" >>"$T_LOG"
}

# sigs_ok: every delivery in HOOK_OUT carries X-Meshca-Signature = HMAC-SHA256
# of its body under $T_TMP/hook.secret, recomputed with openssl.
sigs_ok() {
    local line body sig want secret
    secret=$(cat "$T_TMP/hook.secret")
    while IFS= read -r line; do
        body=$(jq -j .body <<<"$line")
        sig=$(jq -r .signature <<<"$line")
        want=$(printf '%s' "$body" | openssl dgst -sha256 -mac HMAC -macopt "key:$secret" -r | cut -d' ' -f1)
        [ "$sig" = "sha256=$want" ] || { echo "bad signature on $line" >>"$T_LOG"; return 1; }
    done <"$HOOK_OUT"
}
