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

@test "a password written into --dsn is not repeated in the connection error" {
    run bash -c "'$B/tools/snapshot/sync-snapshot' --client sec --no-lease '$W/s.db' 2>/dev/null | '$B/tools/diff/sync-diff' --dsn 'host=127.0.0.1 port=$PGPORT user=nobody password=Wr0ngSecretXyz dbname=$DB' 2>&1"
    [ "$status" -eq 75 ]
    [[ "$output" != *Wr0ngSecretXyz* ]]
    run bash -c "'$B/tools/status/sync-status' --dsn 'host=127.0.0.1 port=$PGPORT user=nobody password=Wr0ngSecretXyz dbname=$DB' 2>&1"
    [ "$status" -ne 0 ]
    [[ "$output" != *Wr0ngSecretXyz* ]]
    [[ "$output" == *"sync-status:"* ]]
}
