#!/usr/bin/env bats
# sync_metadata.apply_retention() (sql/009_retention.sql) and systemd/syncpipe-retention against a real
# PostgreSQL: old rows really go, the metrics sync-status writes keep every value, another host's rows are
# never touched, and the function refuses to run without syncpipe.host_id.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/status-retention.bats
#
# Each test builds its own database (the fixture is what retention consumes).

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

RETENTION="$BATS_TEST_DIRNAME/../../systemd/syncpipe-retention"

setup_file() {
    pgcluster_require || return 1
    export STATUS="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/status/sync-status"
    [[ -x "$STATUS" ]] || { echo "not built: $STATUS" >&2; return 1; }
}

setup() {
    pgcluster_service_db statusret || return 1
    fixture_r
    fixture_o
}

teardown() {
    dropdb --if-exists --force -- "$DB"
}

admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f -
}

# svc HOST SQL — SQL as sync_service over TCP (passfile), with syncpipe.host_id = HOST unless HOST is "".
svc() {
    local set=""
    [[ -n "$1" ]] && set="SELECT set_config('syncpipe.host_id', '$1', true) \\g /dev/null"
    printf '%s\n%s\n' "$set" "$2" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$SVC" -f -
}

# prom HOST FILE — sync-status --textfile for HOST (exit 0 or 3), the .prom copied to FILE without the
# lines that move with the clock (heartbeat ages, lease expiry).
prom() {
    local d="$BATS_TEST_TMPDIR/prom-$1"
    mkdir -p "$d"
    "$STATUS" --dsn "$SVC" --host "$1" --textfile "$d" 2>/dev/null || (($? == 3)) || return 1
    grep -Ev '^sync_(node_heartbeat_age_seconds|lease_expires_in_seconds)\{' "$d/syncpipe.prom" >"$2"
}

# Host R. r1: old jobs (two successes, a failure, a fenced and a running one) with progress rows, and two
# recent successes; r2: only old jobs, its latest success and latest (failed) job among them. Conflicts
# resolved 35 to 40 days ago (two of r1 with the same strategy and outcome), one 2 days ago, one open for
# 60 days; deleted rows 400, 100 and 0 days old.
fixture_r() {
    admin "
    INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('R', 'node-a', now());
    INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
    VALUES ('R', 'node-a', 5, now() + interval '1 minute');
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('r1', 'R', 'r1'), ('r2', 'R', 'r2');
    INSERT INTO sync_metadata.sync_jobs (job_id, host_id, client_id, started_at, finished_at, status,
                                         rows_inserted, rows_updated, rows_deleted, rows_quarantined, error)
    VALUES (101, 'R', 'r1', now() - interval '10 days', now() - interval '10 days' + interval '0.2 s', 'success', 10, 0, 0, 0, NULL),
           (102, 'R', 'r1', now() - interval '10 days', now() - interval '10 days' + interval '5 s', 'success', 5, 2, 0, 0, NULL),
           (103, 'R', 'r1', now() - interval '9 days', now() - interval '9 days' + interval '1 s', 'failed', 0, 0, 0, 0, 'old failure'),
           (104, 'R', 'r1', now() - interval '9 days', now() - interval '9 days', 'fenced', 0, 0, 0, 0, 'lease lost'),
           (105, 'R', 'r1', now() - interval '9 days', NULL, 'running', 0, 0, 0, 0, NULL),
           (106, 'R', 'r1', now() - interval '2 hours', now() - interval '2 hours' + interval '70 s', 'success', 1, 0, 1, 0, NULL),
           (107, 'R', 'r1', now() - interval '10 min', now() - interval '10 min' + interval '0.3 s', 'success', 0, 0, 0, 1, NULL),
           (201, 'R', 'r2', now() - interval '20 days', now() - interval '20 days' + interval '2 s', 'success', 7, 0, 0, 0, NULL),
           (202, 'R', 'r2', now() - interval '19 days', now() - interval '19 days' + interval '3 s', 'success', 1, 0, 0, 0, NULL),
           (203, 'R', 'r2', now() - interval '18 days', now() - interval '18 days' + interval '1 s', 'failed', 0, 0, 0, 0, 'disk gone');
    INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done, rows_inserted,
                                             rows_updated, rows_deleted, rows_quarantined, updated_at)
    VALUES (101, 'R', 'r1', 'chat', 10, 10, 0, 0, 0, now() - interval '10 days'),
           (102, 'R', 'r1', 'chat', 5, 5, 0, 0, 0, now() - interval '10 days'),
           (102, 'R', 'r1', 'user', 2, 0, 2, 0, 0, now() - interval '10 days'),
           (106, 'R', 'r1', 'chat', 2, 1, 0, 1, 0, now() - interval '2 hours'),
           (107, 'R', 'r1', 'chat', 1, 0, 0, 0, 1, now() - interval '10 min'),
           (201, 'R', 'r2', 'chat', 7, 7, 0, 0, 0, now() - interval '20 days');
    INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, resolution_strategy, resolution,
                                            detected_at, resolved_at, source_hash)
    VALUES ('R', 'r1', 'chat', 'c1', 'newest_wins', 'source', now() - interval '41 days', now() - interval '40 days', 'a'),
           ('R', 'r1', 'chat', 'c2', 'merge', 'merged', now() - interval '41 days', now() - interval '40 days', 'b'),
           ('R', 'r1', 'user', 'c6', 'newest_wins', 'source', now() - interval '39 days', now() - interval '38 days', 'f'),
           ('R', 'r1', 'chat', 'c3', 'newest_wins', 'source', now() - interval '2 days', now() - interval '2 days', 'c'),
           ('R', 'r1', 'config', 'c4', 'manual', 'unresolved', now() - interval '60 days', NULL, 'd'),
           ('R', 'r2', 'chat', 'c5', 'settled', 'target', now() - interval '50 days', now() - interval '35 days', 'e');
    INSERT INTO sync_metadata.deleted_rows (host_id, client_id, table_name, row_key, deleted_at)
    VALUES ('R', 'r1', 'chat', '[\"x\"]', now() - interval '400 days'), ('R', 'r1', 'chat', '[\"y\"]', now() - interval '100 days'),
           ('R', 'r1', 'chat', '[\"z\"]', now());
    " >/dev/null
}

# Host O: old rows of every kind (a progress row whose job is gone too), which retention for host R must
# leave alone.
fixture_o() {
    admin "
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('o1', 'O', 'o1');
    INSERT INTO sync_metadata.sync_jobs (job_id, host_id, client_id, started_at, finished_at, status, rows_inserted)
    VALUES (301, 'O', 'o1', now() - interval '30 days', now() - interval '30 days', 'success', 3),
           (302, 'O', 'o1', now() - interval '1 min', now(), 'success', 1);
    INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done, updated_at)
    VALUES (301, 'O', 'o1', 'chat', 3, now() - interval '30 days'), (399, 'O', 'o1', 'chat', 1, now() - interval '30 days');
    INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, resolution, resolved_at)
    VALUES ('O', 'o1', 'chat', 'o', 'source', now() - interval '40 days');
    INSERT INTO sync_metadata.deleted_rows (host_id, client_id, table_name, deleted_at)
    VALUES ('O', 'o1', 'chat', now() - interval '400 days');
    " >/dev/null
}

# counts HOST — "jobs progress conflicts deleted_rows" of HOST, as the admin sees them.
counts() {
    admin "SELECT (SELECT count(*) FROM sync_metadata.sync_jobs WHERE host_id = '$1') || ' ' ||
                  (SELECT count(*) FROM sync_metadata.sync_progress WHERE host_id = '$1') || ' ' ||
                  (SELECT count(*) FROM sync_metadata.conflict_log WHERE host_id = '$1') || ' ' ||
                  (SELECT count(*) FROM sync_metadata.deleted_rows WHERE host_id = '$1')"
}

@test "retention: sync-status writes the same value for every metric before and after" {
    prom R "$BATS_TEST_TMPDIR/before"
    # The fixture's totals, so the comparison is not between two empty files.
    grep -Fx 'sync_rows_synced_total{client="r1",op="inserted"} 16' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_jobs_failed_total{client="r2"} 1' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_run_duration_seconds_bucket{client="r1",le="0.25"} 1' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_run_duration_seconds_bucket{client="r1",le="5"} 3' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_run_duration_seconds_count{client="r1"} 4' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_run_duration_seconds_sum{client="r1"} 75.5' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_table_rows_synced_total{client="r1",table="chat",op="inserted"} 16' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_conflicts_detected_total{client="r1"} 5' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_conflicts_resolved_total{client="r2",strategy="settled",resolution="target"} 1' "$BATS_TEST_TMPDIR/before"
    grep -Fx 'sync_conflicts_resolved_total{client="r1",strategy="newest_wins",resolution="source"} 3' "$BATS_TEST_TMPDIR/before"
    run -0 svc R "SELECT sync_metadata.apply_retention(interval '7 days', interval '30 days')"
    [ "$output" = '{"jobs": 5, "progress": 4, "conflicts": 4, "deleted_rows": 1}' ]
    prom R "$BATS_TEST_TMPDIR/after"
    run diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
    echo "$output"
    [ "$status" -eq 0 ]
    # A second run finds nothing more to remove; the metrics still agree.
    run -0 svc R "SELECT sync_metadata.apply_retention(interval '7 days', interval '30 days')"
    [ "$output" = '{"jobs": 0, "progress": 0, "conflicts": 0, "deleted_rows": 0}' ]
    prom R "$BATS_TEST_TMPDIR/again"
    cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/again"
    # JSON totals and the last success/error stay too.
    run -3 "$STATUS" --dsn "$SVC" --host R --json
    [ "$(jq -c '[.clients[] | [.client, .jobs, .jobs_failed, .last_job_status, .last_error]]' <<<"$output")" = \
      '[["r1",7,1,"success",null],["r2",3,1,"failed","disk gone"]]' ]
}

@test "retention: removes the old rows, keeps running jobs, each tenant's latest jobs and open conflicts" {
    run -0 counts R
    [ "$output" = "10 6 6 3" ]
    run -0 svc R "SELECT sync_metadata.apply_retention(interval '7 days', interval '30 days')"
    run -0 counts R
    [ "$output" = "5 2 2 2" ]
    run -0 admin "SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM sync_metadata.sync_jobs WHERE host_id = 'R'"
    [ "$output" = "105,106,107,202,203" ]
    run -0 admin "SELECT string_agg(key_hash, ',' ORDER BY key_hash) FROM sync_metadata.conflict_log WHERE host_id = 'R'"
    [ "$output" = "c3,c4" ]
    run -0 admin "SELECT string_agg(row_key, ',' ORDER BY row_key) FROM sync_metadata.deleted_rows WHERE host_id = 'R'"
    [ "$output" = '["y"],["z"]' ]
    # The rollups hold what went, by host and tenant.
    run -0 admin "SELECT client_id, jobs, jobs_failed, rows_inserted, run_seconds, duration_runs
                    FROM sync_metadata.job_rollup ORDER BY client_id"
    [ "$output" = "r1|4|1|15|5.200000|{0,0,1,0,0,0,1,0,0,0,0,0,0,0,0}
r2|1|0|7|2.000000|{0,0,0,0,0,1,0,0,0,0,0,0,0,0,0}" ]
    # Shorter keeps remove more; the tenants' latest jobs still stay.
    run -0 svc R "SELECT sync_metadata.apply_retention(interval '1 hour', interval '1 hour', interval '30 days')"
    [ "$output" = '{"jobs": 1, "progress": 1, "conflicts": 1, "deleted_rows": 1}' ]
    run -0 admin "SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM sync_metadata.sync_jobs WHERE host_id = 'R'"
    [ "$output" = "105,107,202,203" ]
}

@test "retention: never touches another host's rows" {
    run -0 counts O
    local before="$output"
    [ "$before" = "2 2 1 1" ]
    run -0 svc R "SELECT sync_metadata.apply_retention(interval '1 hour', interval '1 hour', interval '30 days')"
    run -0 counts O
    [ "$output" = "$before" ]
    run -0 admin "SELECT count(*) FROM sync_metadata.job_rollup WHERE host_id = 'O'"
    [ "$output" = 0 ]
    # Host O's own run prunes its old job and shows nothing of R's rollup.
    run -0 svc O "SELECT sync_metadata.apply_retention(interval '1 hour', interval '1 hour', interval '30 days')"
    [ "$output" = '{"jobs": 1, "progress": 2, "conflicts": 1, "deleted_rows": 1}' ]
    run -0 svc O "SELECT string_agg(host_id || ':' || client_id, ',') FROM sync_metadata.job_rollup"
    [ "$output" = "O:o1" ]
}

@test "retention: refused without syncpipe.host_id, below the minimum keeps; rollups read-only for the service" {
    run -3 svc "" "SELECT sync_metadata.apply_retention(interval '7 days')"
    [[ "$output" == *"ERROR:  apply_retention: syncpipe.host_id is not set"* ]]
    run -3 svc R "SELECT sync_metadata.apply_retention(interval '10 minutes')"
    [[ "$output" == *"must be at least 1 hour"* ]]
    run -3 svc R "SELECT sync_metadata.apply_retention(interval '7 days', NULL, interval '1 day')"
    [[ "$output" == *"deleted rows keep (1 day) must be at least 30 days"* ]]
    run -0 counts R
    [ "$output" = "10 6 6 3" ]
    run -3 svc R "INSERT INTO sync_metadata.job_rollup (host_id, client_id, jobs, duration_runs) VALUES ('R', 'r1', 1000, '{}')"
    [[ "$output" == *"permission denied for table job_rollup"* ]]
    run -3 svc R "SELECT sync_metadata.retention_fold_jobs('R', now())"
    [[ "$output" == *"permission denied for function retention_fold_jobs"* ]]
}

@test "retention: the histogram buckets of SQL and sync-status agree, bounds inclusive" {
    run -0 admin "SELECT string_agg(sync_metadata.run_duration_bucket(b::numeric)::text || '/' ||
                                    sync_metadata.run_duration_bucket(b::numeric + 0.000001)::text, ' ' ORDER BY i)
                    FROM unnest(sync_metadata.run_duration_bounds()) WITH ORDINALITY AS u(b, i)"
    [ "$output" = "0/1 1/2 2/3 3/4 4/5 5/6 6/7 7/8 8/9 9/10 10/11 11/12 12/13 13/14" ]
}

@test "syncpipe-retention: prunes the host given, logs what it removed; errors are one line" {
    run -0 env SYNCPIPE_HOST=R PGHOST=127.0.0.1 PGDATABASE="$DB" PGUSER=sync_service "$RETENTION"
    [ "$output" = 'syncpipe-retention: host R: removed {"jobs": 5, "progress": 4, "conflicts": 4, "deleted_rows": 1}' ]
    # The conflict config's resolution_log.retention_days: 1 day removes c3 (resolved 2 days ago) too.
    local cfg="$BATS_TEST_TMPDIR/conflicts.json"
    jq '.conflict_resolution.resolution_log.retention_days = 1' "$BATS_TEST_DIRNAME/../../config/conflict-resolution-default.json" >"$cfg"
    run -0 env SYNCPIPE_RESOLVE_CONFIG="$cfg" PGHOST=127.0.0.1 PGDATABASE="$DB" PGUSER=sync_service "$RETENTION" R
    [[ "$output" == *'"conflicts": 1'* ]]
    run -1 env SYNCPIPE_RETENTION_KEEP=1s PGHOST=127.0.0.1 PGDATABASE="$DB" PGUSER=sync_service "$RETENTION" R
    [[ "$output" == "syncpipe-retention: error: host R: apply_retention: keep (00:00:01) and conflict keep (30 days) must be at least 1 hour" ]]
    run -75 env PGHOST=127.0.0.1 PGPORT="$(_pgcluster_pick_port)" PGDATABASE="$DB" PGUSER=sync_service PGCONNECT_TIMEOUT=2 "$RETENTION" R
    [[ "$output" == "syncpipe-retention: error: host R: connection to server at"* ]]
    [ "${#lines[@]}" = 1 ]
    run -64 "$RETENTION" a b
}
