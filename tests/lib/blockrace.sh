# The subject-block race, for tests/integration/test_revocation_block_race.sh
# and its loop in tests/faults/: source after harness.sh and stack.sh.
#   race_stack_start          stack_init + two meshcad replicas on one database
#                             (A_URL, B_URL), rate limit off, tokens reusable
#   race_round SUBJECT        both replicas issue to SUBJECT as fast as they can
#                             while a block is posted to A; then checks (ok/not_ok)
#                             that no certificate of SUBJECT committed after the
#                             block and that every certificate returned is revoked
#                             by the KRL each replica serves (ssh-keygen -Q).

race_stack_start() {
    PG_TRACK_COMMIT_TS=on stack_load_start pair
    RACE_ADMIN=$(mint_token "$(claims_for carol '["meshca-admins"]')")
}

# krl_version URL: the version in the served KRL's ETag ("N-hash"), or 0.
krl_version() {
    local etag
    etag=$(curl -fsS -D - -o /dev/null "$1/v1/krl" 2>/dev/null | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: "\([0-9]*\)-.*/\1/p')
    echo "${etag:-0}"
}

race_round() {
    local sub=$1 d=$T_TMP/race-$1 pa pb seq n after missing url name i revoked okc
    mkdir -p "$d/certs"
    mint_token "$(claims_for "$sub" '["bench"]')" >"$d/tokens"
    LOADGEN_TOKENS=$d/tokens loadgen_run "$A_URL" --conns 8 --duration 3 --keys 400 \
        --serials "$d/serials.a" --json "$d/a.json" &
    pa=$!
    LOADGEN_TOKENS=$d/tokens loadgen_run "$B_URL" --conns 8 --duration 3 --keys 400 \
        --serials "$d/serials.b" --json "$d/b.json" &
    pb=$!
    # Block once both replicas are issuing to the subject.
    for i in $(seq 1 100); do
        [ -s "$d/serials.a" ] && [ -s "$d/serials.b" ] && break
        sleep 0.05
    done
    issue "$RACE_ADMIN" "{\"subject\":\"$sub\",\"reason\":\"race\",\"block_until\":\"$(date -u -d '+1 hour' +%FT%TZ)\"}" /v1/revocations
    check_eq "$sub: the block was recorded (201) while both replicas were issuing" "$HTTP_STATUS" 201
    wait "$pa" "$pb"
    cat "$d/serials.a" "$d/serials.b" | sort -u >"$d/returned"
    n=$(wc -l <"$d/returned")
    check "$sub: certificates were returned before the block ($n)" test "$n" -gt 0
    check "$sub: requests after the block were refused (403: $(jq -s 'map(.status["403"] // 0) | add' "$d/a.json" "$d/b.json"))" \
        test "$(jq -s 'map(.status["403"] // 0) | add' "$d/a.json" "$d/b.json")" -gt 0
    psql_admin -c "SELECT serial FROM certificates WHERE subject = '$sub'" | sort -u >"$d/ledger"
    missing=$(comm -23 "$d/returned" "$d/ledger" | wc -l)
    check_eq "$sub: every returned certificate is in the ledger" "$missing" 0
    # Commit order, from PostgreSQL's commit timestamps (created_at is when
    # meshcad built the record, before it queued it).
    after=$(psql_admin -c "SELECT count(*) FROM certificates c JOIN revocations r
        ON r.kind = 'subject' AND r.value = c.subject
        WHERE c.subject = '$sub' AND
              pg_xact_commit_timestamp(xid(c.xid)) > pg_xact_commit_timestamp(xid(r.xid))")
    check_eq "$sub: no certificate of the subject was written after the block" "$after" 0
    seq=$(psql_admin -c "SELECT max(seq) FROM revocations")
    for url in "$A_URL" "$B_URL"; do
        for i in $(seq 1 200); do
            [ "$(krl_version "$url")" -ge "$seq" ] && break
            sleep 0.05
        done
    done
    # The certificates returned, as the ledger holds them, against each KRL.
    psql_admin -F ' ' -c "SELECT serial, certificate FROM certificates WHERE subject = '$sub' AND valid_before > now()" |
        while read -r serial line; do echo "$line" >"$d/certs/$serial-cert.pub"; done
    for url in "$A_URL" "$B_URL"; do
        name=A; [ "$url" = "$B_URL" ] && name=B
        curl -fsS -o "$d/krl.$name" "$url/v1/krl" || { not_ok "$sub: replica $name serves a KRL"; continue; }
        (cd "$d/certs" && ssh-keygen -Q -f "$d/krl.$name" $(sed 's/$/-cert.pub/' "$d/returned")) >"$d/q.$name" 2>&1
        revoked=$(grep -c ': REVOKED$' "$d/q.$name")
        okc=$(grep -c ': ok$' "$d/q.$name")
        check_eq "$sub: replica $name's KRL revokes every returned certificate ($revoked of $n, $okc ok)" "$revoked/$okc" "$n/0"
    done
}
