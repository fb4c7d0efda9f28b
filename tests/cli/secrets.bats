#!/usr/bin/env bats
# The sync_service password never shows in argv, the environment, logs or error messages of any
# tool: it lives in a passfile (PGPASSFILE), and connection errors are scrubbed.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/helpers.bash"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_service_db sec || return 1
    "$B/tests/gen/syncpipe-gen" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/s.db" --users 2 >/dev/null
    "$B/tools/snapshot/sync-snapshot" --client sec --no-lease "$W/s.db" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

# The password, read where needed: exported, it would sit in every child's environment.
password() { cut -d: -f5 "$SERVICE_PASSFILE" | head -n1; }

@test "the password is long enough for the greps below to mean something" {
    local PW
    PW=$(password)
    [ "${#PW}" -ge 8 ]
}

@test "no password in argv or environ of any running stage, nor in their output" {
    # sync-load is kept waiting inside its first transaction by a row lock the admin holds on the
    # tenant's registration (its generation update waits for it), so every stage is alive meanwhile
    hold "$DB" "SELECT 1 FROM sync_metadata.client_deployments WHERE client_id = 'sec' FOR UPDATE"
    (
        "$B/tools/snapshot/sync-snapshot" --client sec --no-lease "$W/s.db" |
            "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W" |
            "$B/tools/resolve/sync-resolve" |
            bash -c 'echo $$ >"$0"; exec "$@"' "$W/load.pid" "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W"
    ) >"$W/out" 2>"$W/err" &
    runner=$!
    wait_for 60 load_waits
    local pid PW
    pid=$(cat "$W/load.pid")
    PW=$(password)
    for p in $(pgrep -f "$B/tools/") $pid; do
        run grep -caF -- "$PW" "/proc/$p/cmdline" "/proc/$p/environ"
        [[ "$output" != *":1"* ]]
    done
    release
    wait "$runner"
    run grep -cF -- "$PW" "$W/out" "$W/err"
    [[ "$output" != *":1"* ]]
    [ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM sync_metadata.sync_jobs WHERE status = 'success'")" -ge 1 ]
}

# sync-load waits for the admin's lock (pg_stat_activity), and it is this run's sync-load.
load_waits() {
    [[ -s "$W/load.pid" ]] || return 1
    [ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
          AND application_name LIKE 'sync-load%' AND wait_event_type = 'Lock'")" = 1 ]
}

@test "a password written into --dsn is refused (exit 64, pointing at the passfile), never repeated" {
    local dsn
    for dsn in "host=127.0.0.1 port=$PGPORT user=sync_service password=Wr0ngSecretXyz dbname=$DB" \
        "postgresql://sync_service:Wr0ngSecretXyz@127.0.0.1:$PGPORT/$DB" \
        "postgresql://127.0.0.1:$PGPORT/$DB?user=sync_service&password=Wr0ngSecretXyz"; do
        for tool in "diff/sync-diff" "load/sync-load" "resolve/sync-resolve --list" "status/sync-status" \
            "lease/sync-lease show --cluster c"; do
            run --separate-stderr $B/tools/$tool --dsn "$dsn" </dev/null
            [ "$status" -eq 64 ] || { echo "$tool: exit $status for $dsn"; return 1; }
            [ -z "$output" ]
            [[ "$stderr" == *"--dsn must not hold a password"*"passfile"* ]]
            [[ "$stderr" != *Wr0ngSecretXyz* ]]
        done
    done
    # Without a password the same URI is taken: sync-status connects and reports (0 healthy, 3 unhealthy).
    run --separate-stderr "$B/tools/status/sync-status" --host h1 --dsn "postgresql://sync_service@127.0.0.1:$PGPORT/$DB"
    [[ "$status" -eq 0 || "$status" -eq 3 ]] || { echo "exit $status: $stderr"; return 1; }
    [ -n "$output" ]
}

# wrong_passfile — a passfile that gives sync_service a wrong password.
wrong_passfile() {
    printf '127.0.0.1:%s:*:sync_service:Wr0ngSecretXyz\n' "$PGPORT" >"$W/wrong.pgpass"
    chmod 600 "$W/wrong.pgpass"
}

@test "a login PostgreSQL refuses is a configuration error: exit 1, not 75 (retry later), no secret shown" {
    wrong_passfile
    local snap="$W/refused.ndjson"
    "$B/tools/snapshot/sync-snapshot" --client sec --no-lease "$W/s.db" >"$snap"
    # wrong password, no password at all, a role that does not exist, a database that does not exist
    install -m 600 /dev/null "$W/empty.pgpass" # (libpq warns about /dev/null itself: not a plain file)
    for env_dsn in "PGPASSFILE=$W/wrong.pgpass|$SVC" "PGPASSFILE=$W/empty.pgpass|$SVC" \
        "PGPASSFILE=$SERVICE_PASSFILE|host=$PGHOST user=nobody_$RANDOM dbname=$DB" \
        "PGPASSFILE=$SERVICE_PASSFILE|host=$PGHOST dbname=no_such_db_$RANDOM"; do
        run --separate-stderr env "${env_dsn%%|*}" "$B/tools/diff/sync-diff" --dsn "${env_dsn#*|}" <"$snap"
        [ "$status" -eq 1 ] || { echo "exit $status for $env_dsn: $stderr"; return 1; }
        [[ "$stderr" == "sync-diff: error: PostgreSQL refused the login"* ]] || { echo "$stderr"; return 1; }
        [[ "$stderr" != *Wr0ngSecretXyz* ]]
        [ "$(wc -l <<<"$stderr")" -eq 1 ]
        run --separate-stderr env "${env_dsn%%|*}" "$B/tools/status/sync-status" --host h1 --dsn "${env_dsn#*|}"
        [ "$status" -eq 1 ]
        [[ "$stderr" == "sync-status: error: PostgreSQL refused the login"* ]]
    done
    # A server that does not answer is still "retry later".
    run -75 env PGCONNECT_TIMEOUT=2 "$B/tools/diff/sync-diff" --dsn "host=127.0.0.1 port=1 dbname=x" <"$snap"
}
