#!/usr/bin/env bats
# A finished job is history (issue 16, item 5): sync-load does not reopen the job of a stream that
# already ran and failed; it refuses the replay with one line, exit 1, and writes nothing.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}" W="$BATS_FILE_TMPDIR"
    pgcluster_service_db arch || return 1
    "$B/tests/gen/syncpipe-gen" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/t.db" \
        --users 2 --chats-per-user 3 >/dev/null || return 1
    "$B/tools/snapshot/sync-snapshot" --client arch --host h1 --no-lease "$W/t.db" 2>/dev/null |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

@test "a stream whose job already failed is refused (exit 1), writes nothing, and its job stays as recorded" {
    mkdir -p "$W/state"
    "$B/tools/snapshot/sync-snapshot" --client arch --host h1 --no-lease "$W/t.db" 2>/dev/null |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" 2>/dev/null >"$W/stream.ndjson"
    local sid
    sid="$(head -n 1 "$W/stream.ndjson" | jq -r .stream_id)"
    [ -n "$sid" ]
    # What a run that failed before committing a batch leaves behind.
    q "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, status, error, finished_at)
       VALUES ('$sid', 'h1', 'arch', 'failed', 'earlier failure', now())"
    run -1 --separate-stderr "$B/tools/load/sync-load" --dsn "$SVC" --no-cache <"$W/stream.ndjson"
    [ "$stderr" = "sync-load: error: stream $sid already ran and finished (sync_metadata.sync_jobs); run the pipeline again for a new stream" ]
    [ "$(q "SELECT status || ':' || error FROM sync_metadata.sync_jobs WHERE client_id = 'arch'")" = "failed:earlier failure" ]
    [ "$(q "SELECT count(*) FROM arch.chat")" = 0 ]
    [ "$(q "SELECT count(*) || ':' || (SELECT generation FROM sync_metadata.client_deployments WHERE client_id = 'arch')
              FROM sync_metadata.row_state WHERE client_id = 'arch'")" = "0:0" ]
    # A new stream of the same tenant loads.
    "$B/tools/snapshot/sync-snapshot" --client arch --host h1 --no-lease "$W/t.db" 2>/dev/null |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" 2>/dev/null |
        "$B/tools/load/sync-load" --dsn "$SVC" --no-cache
    [ "$(q "SELECT count(*) FROM arch.chat")" = "$(sqlite3 "$W/t.db" "SELECT count(*) FROM chat")" ]
}
