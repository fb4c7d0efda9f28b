#!/usr/bin/env bats
# Moving a tenant to another host (issue 11, item 4): sync_metadata.move_client re-homes the
# registration with its base state and history; the new host's next lease-gated sync converges with
# no conflict and rewrites nothing, later changes flow from the new host, and the old host's pipeline
# stops with "not provisioned" and writes nothing.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}" W="$BATS_FILE_TMPDIR"
    pgcluster_service_db move || return 1
    "$B/tests/gen/syncpipe-gen" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/mv.db" \
        --users 3 --chats-per-user 5 >/dev/null || return 1
    "$B/tools/snapshot/sync-snapshot" --client mv --host h1 --no-lease "$W/mv.db" 2>/dev/null |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# node CLUSTER NODE — one lease-gated pipeline run of tenant mv, as sync_service, with the node's own
# base-state cache; prints every stage's exit status on the last line of stdout.
node() {
    local state="$W/state-$1-$2"
    mkdir -p "$state"
    "$B/tools/lease/sync-lease" gate --dsn "$SVC" --cluster "$1" --node "$2" --ttl 30 |
        "$B/tools/snapshot/sync-snapshot" --client mv "$W/mv.db" |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$state" |
        "$B/tools/resolve/sync-resolve" |
        "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$state"
    echo "status ${PIPESTATUS[*]}"
}

# Everything PostgreSQL holds for the tenant: its rows with their row versions, and its sync_metadata.
tenant_state() {
    q "SELECT 'chat ' || string_agg(id || ':' || xmin || ':' || md5(title), ',' ORDER BY id) FROM mv.chat
       UNION ALL SELECT 'message ' || count(*) || ':' || sum(xmin::text::bigint) FROM mv.message
       UNION ALL SELECT 'row_state ' || host_id || ' ' || count(*) || ':' || md5(string_agg(key_hash::text || src_hash::text, ',' ORDER BY key_hash))
                   FROM sync_metadata.row_state WHERE client_id = 'mv' GROUP BY host_id
       UNION ALL SELECT 'jobs ' || count(*) || ':' || coalesce(max(job_id), 0) FROM sync_metadata.sync_jobs WHERE client_id = 'mv'
       UNION ALL SELECT 'conflicts ' || count(*) FROM sync_metadata.conflict_log WHERE client_id = 'mv'
       UNION ALL SELECT 'other ' || (SELECT count(*) FROM sync_metadata.quarantine WHERE client_id = 'mv')
                     || ':' || (SELECT count(*) FROM sync_metadata.sync_progress WHERE client_id = 'mv')
                     || ':' || (SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id = 'mv')
                     || ':' || (SELECT count(*) FROM sync_metadata.cache_events WHERE client_id = 'mv')
       UNION ALL SELECT 'tenant ' || host_id || ':' || generation FROM sync_metadata.client_deployments WHERE client_id = 'mv'"
}

@test "move: synced on h1, moved to h2, h2 converges with no conflict and rewrites nothing" {
    run -0 node h1 node-a
    [[ "$output" == *"status 0 0 0 0 0" ]]
    [ "$(q "SELECT count(*) FROM mv.chat")" = "$(sqlite3 "$W/mv.db" "SELECT count(*) FROM chat")" ]
    # h2's nodes have run (the gate registers them); the tenant is not theirs yet.
    run -0 "$B/tools/lease/sync-lease" gate --dsn "$SVC" --cluster h2 --node node-a --ttl 30
    local before
    before="$(tenant_state)"
    run -0 q "SELECT sync_metadata.move_client('mv', 'h2')"
    echo "$output"
    [[ "$output" == "client mv moved from host h1 to host h2, "* ]]
    [[ "$output" == *" row_state,"* && "$output" == *", 1 sync_jobs"* ]]
    [[ "$output" == *" source_schema"* ]] # restore on the new host needs the captured schema
    run -0 node h2 node-a
    [[ "$output" == *"status 0 0 0 0 0" ]]
    run -0 q "SELECT rows_inserted || ' ' || rows_updated || ' ' || rows_deleted || ' ' || rows_quarantined || ' ' || conflicts
                FROM sync_metadata.sync_jobs WHERE client_id = 'mv' AND host_id = 'h2' AND status = 'success'
               ORDER BY job_id DESC LIMIT 1"
    [ "$output" = "0 0 0 0 0" ]
    # Nothing rewritten: every tenant row keeps its row version, the base state its hashes (now h2's).
    local after expected
    after="$(tenant_state)"
    expected="$(printf '%s\n' "$before" | sed -e 's/^row_state h1 /row_state h2 /' -e 's/^tenant h1:\([0-9]*\)$/tenant h2:\1/' \
                 -e '/^jobs /d' -e '/^tenant /d')"
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$after" | sed -e '/^jobs /d' -e '/^tenant /d')
    [ "$(q "SELECT count(*) FROM sync_metadata.conflict_log WHERE client_id = 'mv'")" = 0 ]
}

@test "move: a change in the source reaches PostgreSQL from h2" {
    local id
    id="$(sqlite3 "$W/mv.db" "SELECT id FROM chat ORDER BY id LIMIT 1")"
    sqlite3 "$W/mv.db" "UPDATE chat SET title = 'renamed after the move' WHERE id = '$id'"
    run -0 node h2 node-a
    [[ "$output" == *"status 0 0 0 0 0" ]]
    [ "$(q "SELECT title FROM mv.chat WHERE id = '$id'")" = "renamed after the move" ]
    [ "$(q "SELECT rows_updated || ' ' || conflicts FROM sync_metadata.sync_jobs WHERE client_id = 'mv'
             ORDER BY job_id DESC LIMIT 1")" = "1 0" ]
}

@test "move: the old host's pipeline stops with 'not provisioned' and writes nothing" {
    local id before
    id="$(sqlite3 "$W/mv.db" "SELECT id FROM chat ORDER BY id LIMIT 1")"
    sqlite3 "$W/mv.db" "UPDATE chat SET title = 'written on h1?' WHERE id = '$id'"
    before="$(tenant_state)"
    run node h1 node-a
    [[ "$output" == *"sync-diff: error: tenant mv is not provisioned"* ]]
    [[ "$output" =~ status\ 0\ [0-9]+\ [1-9][0-9]*\ [0-9]+\ [1-9][0-9]*$ ]]  # the diff fails, so does the load
    [ "$(tenant_state)" = "$before" ]
    [ "$(q "SELECT title FROM mv.chat WHERE id = '$id'")" = "renamed after the move" ]
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE host_id = 'h1' AND client_id = 'mv'")" = 0 ]
}
