#!/usr/bin/env bats
# sync-status over what the real pipeline wrote (not fabricated rows): tenants of both Open WebUI lineages,
# provisioned and synced by sync_service through sync-snapshot | sync-diff | sync-resolve | sync-load, then
# changed and synced again. The rows by table and operation (sync_progress, written by sync-load) add up to
# the per-tenant totals and to what is in PostgreSQL; aged and pruned by retention, every value stays.
#
#   SYNCPIPE_BUILD=/path/to/build SHARED_DIR=/work/shared tests/lib/pgcluster.sh run bats tests/cli/status-pipeline.bats

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=sp
    pgcluster_service_db statuspipe || return 1
    admin "INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('sp', 'node-a', now());
           INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
           VALUES ('sp', 'node-a', 1, now() + interval '1 hour')"
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

admin() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
snap() { "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$2"; }
sync() {
    snap "$1" "$2" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" | "$B/tools/resolve/sync-resolve" |
        "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state"
}

# metric FILE NAME LABELS — the value of one sample ("" when absent).
metric() {
    grep -F "$2{$3} " "$1" | awk '{ print $2 }'
}

# table_sum FILE CLIENT OP — sync_table_rows_synced_total of CLIENT and OP summed over its tables.
table_sum() {
    grep -E "^sync_table_rows_synced_total\{client=\"$2\",table=\"[^\"]*\",op=\"$3\"\} " "$1" |
        awk '{ s += $2 } END { print s + 0 }'
}

prom() {
    mkdir -p "$W/prom"
    # exit 3 (unhealthy) once the history is aged: the file is written all the same
    "$B/tools/status/sync-status" --dsn "$SVC" --host sp --textfile "$W/prom" 2>/dev/null || (($? == 3)) || return 1
    grep -Ev '^sync_(node_heartbeat_age_seconds|lease_expires_in_seconds)\{' "$W/prom/syncpipe.prom" >"$1"
}

@test "rows by table and op: both lineages, first sync and a changed cycle, through retention" {
    mkdir -p "$W/state"
    local c lineage t n
    for c in alembic peewee; do
        lineage=webui-schema.sql
        [[ $c == peewee ]] && lineage=webui-schema-upgraded-from-peewee.sql
        "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/$lineage" --out "$W/$c.db" --users 3 --chats-per-user 4 >/dev/null
        snap "$c" "$W/$c.db" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
        sync "$c" "$W/$c.db" 2>/dev/null
    done
    prom "$W/first"
    for c in alembic peewee; do
        # After a first sync: each table's inserted (+ quarantined) rows are the rows in PostgreSQL (+ quarantine).
        for t in chat user; do
            n="$(admin "SELECT (SELECT count(*) FROM $c.\"$t\") + (SELECT count(*) FROM sync_metadata.quarantine
                                                                  WHERE client_id = '$c' AND table_name = '$t')")"
            [ "$(($(metric "$W/first" sync_table_rows_synced_total "client=\"$c\",table=\"$t\",op=\"inserted\"") +
                  $(metric "$W/first" sync_table_rows_synced_total "client=\"$c\",table=\"$t\",op=\"quarantined\"")))" = "$n" ]
        done
        [ "$(metric "$W/first" sync_run_duration_seconds_count "client=\"$c\"")" = 1 ]
    done
    # A changed cycle: updates, inserts and deletes show up by table and add up to the tenant's totals.
    for c in alembic peewee; do
        "$GEN" mutate --db "$W/$c.db" --seed 3 --insert 6 --update 8 --delete 4 --tables chat >/dev/null
        sync "$c" "$W/$c.db" 2>/dev/null
    done
    prom "$W/second"
    for c in alembic peewee; do
        # (mutate picks rows at random, so fewer distinct rows may change than it was asked to touch)
        local ins upd del
        ins="$(metric "$W/second" sync_table_rows_synced_total "client=\"$c\",table=\"chat\",op=\"inserted\"")"
        upd="$(metric "$W/second" sync_table_rows_synced_total "client=\"$c\",table=\"chat\",op=\"updated\"")"
        del="$(metric "$W/second" sync_table_rows_synced_total "client=\"$c\",table=\"chat\",op=\"deleted\"")"
        [ "$upd" -ge 1 ]
        [ "$del" -ge 1 ]
        # chat holds every row ever inserted minus those deleted (the fixture's chats are never quarantined)
        [ "$((ins - del))" = "$(admin "SELECT count(*) FROM $c.chat")" ]
        for op in inserted updated deleted quarantined; do
            [ "$(table_sum "$W/second" "$c" "$op")" = "$(metric "$W/second" sync_rows_synced_total "client=\"$c\",op=\"$op\"")" ]
        done
        [ "$(metric "$W/second" sync_run_duration_seconds_count "client=\"$c\"")" = 2 ]
    done
    # Age the history by 30 days and prune it: every metric keeps its value.
    admin "UPDATE sync_metadata.sync_jobs SET started_at = started_at - interval '30 days',
                                              finished_at = finished_at - interval '30 days';
           UPDATE sync_metadata.sync_progress SET updated_at = updated_at - interval '30 days'"
    prom "$W/aged"
    run -0 psql -X -q -At -v ON_ERROR_STOP=1 -d "$SVC" -c "SELECT set_config('syncpipe.host_id', 'sp', false)" \
        -c "SELECT sync_metadata.apply_retention(interval '7 days')"
    [[ "$output" == *'"jobs": 2, "progress": '[1-9]* ]]
    prom "$W/pruned"
    run diff "$W/aged" "$W/pruned"
    echo "$output"
    [ "$status" -eq 0 ]
}
