#!/usr/bin/env bats
# sync-status against a real PostgreSQL: the rows sync-lease and sync-load would write are fabricated
# here with psql, then the metrics file, the JSON and the exit status must match them.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/status.bats
#
# Each test that needs its own situation uses its own host id, so tests do not disturb each other.
# Mount tests (full and read-only file systems) need root and mount(8).

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export STATUS="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/status/sync-status"
    [[ -x "$STATUS" ]] || { echo "not built: $STATUS" >&2; return 1; }
    export DB="statustest_$$_$RANDOM"
    pgcluster_migrate "$DB"
    pgcluster_service_password "$DB"
    export SRC="$BATS_FILE_TMPDIR/acme/webui.db"
    mkdir -p "${SRC%/*}"
    head -c 1234 /dev/zero >"$SRC-wal"
    fixture_x
    fixture_y
}

teardown_file() {
    dropdb --if-exists --force -- "$DB"
}

teardown() {
    if [[ -n "${MNT:-}" ]] && mountpoint -q "$MNT"; then
        umount "$MNT"
    fi
}

# admin SQL — as the superuser over the socket, one transaction; :'src' is the tenant's source path.
admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 -v src="$SRC" --single-transaction -d "$DB" -f -
}

# st ARGS... — sync-status as sync_service over TCP with the passfile (never a password in argv).
st() {
    PGPASSFILE="$SERVICE_PASSFILE" "$STATUS" --dsn "host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service" "$@"
}

# Host X: two nodes, node-a leads (epoch 3); acme with three jobs (success, failure, success),
# conflicts and quarantine; beta registered but never synced; gamma archived after a failure.
fixture_x() {
    admin "
    INSERT INTO sync_metadata.hosts (host_id, node_name, hostname, last_heartbeat)
    VALUES ('X', 'node-a', 'hx-a', now()), ('X', 'node-b', 'hx-b', now() - interval '30 seconds');
    INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, acquired_at, renewed_at, expires_at)
    VALUES ('X', 'node-a', 3, now() - interval '1 hour', now(), now() + interval '1 hour');
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, source_path, sync_interval_seconds)
    VALUES ('acme', 'X', 'acme', :'src', 60), ('beta', 'X', 'beta', NULL, 300), ('gamma', 'X', 'gamma', NULL, 60);
    INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, node_name, epoch, started_at, finished_at,
                                         status, rows_inserted, rows_updated, rows_deleted, rows_quarantined, error)
    VALUES ('s1', 'X', 'acme', 'node-a', 2, now() - interval '20 minutes', now() - interval '20 minutes' + interval '5 s',
            'success', 100, 0, 0, 0, NULL),
           ('s2', 'X', 'acme', 'node-b', 3, now() - interval '10 minutes', now() - interval '10 minutes' + interval '2 s',
            'failed', 0, 0, 0, 0, 'disk I/O error'),
           ('s3', 'X', 'acme', 'node-a', 3, now() - interval '60 seconds', now() - interval '60 seconds' + interval '1.5 s',
            'success', 5, 3, 2, 1, NULL),
           ('g1', 'X', 'gamma', 'node-a', 3, now() - interval '2 days', now() - interval '2 days', 'failed', 0, 0, 0, 0, 'gone');
    INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done,
                                             rows_inserted, rows_updated, rows_deleted, rows_quarantined)
    SELECT j.job_id, 'X', 'acme', p.t, p.i + p.u + p.d + p.q, p.i, p.u, p.d, p.q
      FROM sync_metadata.sync_jobs j
      JOIN (VALUES ('s1', 'chat', 100, 0, 0, 0), ('s3', 'chat', 4, 3, 0, 0), ('s3', 'user', 1, 0, 2, 1)) AS p(s, t, i, u, d, q)
        ON p.s = j.stream_id;
    INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, row_key, key_hash, conflict_type,
                                            resolution_strategy, resolution, detected_at, resolved_at, source_hash)
    VALUES ('X', 'acme', 'chat', '[\"c1\"]', 'k1', 'update_update', 'manual', NULL, now() - interval '5 minutes', NULL, 'a'),
           ('X', 'acme', 'chat', '[\"c2\"]', 'k2', 'update_update', 'newest_wins', 'source', now() - interval '15 minutes', now() - interval '15 minutes', 'b'),
           ('X', 'acme', 'user', '[\"u1\"]', 'k3', 'update_delete', 'manual', NULL, now() - interval '1 minute', NULL, 'c');
    INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash, row_key, reason, resolved_at)
    VALUES ('X', 'acme', 'chat', '\\x01', '[\"c9\"]', 'invalid input syntax for type json', NULL),
           ('X', 'acme', 'chat', '\\x02', '[\"c8\"]', 'fixed', now());
    SELECT sync_metadata.archive_client('gamma');
    " >/dev/null
}

# Host Y: one node, one tenant; host X must never see any of it.
fixture_y() {
    admin "
    INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('Y', 'node-y', now());
    INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
    VALUES ('Y', 'node-y', 9, now() + interval '1 minute');
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('other', 'Y', 'other');
    INSERT INTO sync_metadata.sync_jobs (host_id, client_id, started_at, finished_at, status, rows_inserted)
    VALUES ('Y', 'other', now() - interval '10 s', now(), 'success', 77);
    INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash) VALUES ('Y', 'other', 't', 'y1');
    "
}

# A healthy host H with one tenant C whose last success finished AGO ago (an SQL interval), interval 60 s.
fixture_simple() {
    local h="$1" c="$2" ago="$3"
    admin "
    INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('$h', 'node-a', now());
    INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
    VALUES ('$h', 'node-a', 1, now() + interval '1 minute');
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, sync_interval_seconds)
    VALUES ('$c', '$h', '$c', 60);
    INSERT INTO sync_metadata.sync_jobs (host_id, client_id, started_at, finished_at, status)
    VALUES ('$h', '$c', now() - interval '$ago' - interval '1 s', now() - interval '$ago', 'success');
    "
}

# has FILE LINE — FILE contains exactly LINE.
has() {
    grep -Fxq -- "$2" "$1" || { printf 'missing line: %s\n--- %s:\n' "$2" "$1" >&2; cat "$1" >&2; return 1; }
}

@test "textfile: metrics match the scripted rows and pass promtool" {
    local d="$BATS_TEST_TMPDIR/prom"
    mkdir "$d"
    run -0 st --host X --textfile "$d"
    [ "$output" = "" ]
    local f="$d/syncpipe.prom"
    has "$f" 'sync_up 1'
    has "$f" 'sync_healthy 1'
    has "$f" 'sync_is_leader{cluster="X",node="node-a"} 1'
    has "$f" 'sync_is_leader{cluster="X",node="node-b"} 0'
    has "$f" 'sync_lease_epoch{cluster="X"} 3'
    grep -Eq '^sync_lease_expires_in_seconds\{cluster="X"\} (3[0-5][0-9]{2}|3600)(\.[0-9]+)?$' "$f"
    grep -Eq '^sync_node_heartbeat_age_seconds\{cluster="X",node="node-b"\} ([3-9][0-9]|[0-9]{3,})$' "$f"
    has "$f" 'sync_rows_synced_total{client="acme",op="inserted"} 105'
    has "$f" 'sync_rows_synced_total{client="acme",op="updated"} 3'
    has "$f" 'sync_rows_synced_total{client="acme",op="deleted"} 2'
    has "$f" 'sync_rows_synced_total{client="acme",op="quarantined"} 1'
    has "$f" 'sync_rows_synced_total{client="beta",op="inserted"} 0'
    has "$f" 'sync_jobs_failed_total{client="acme"} 1'
    has "$f" 'sync_conflicts_unresolved{client="acme"} 2'
    has "$f" 'sync_quarantined_rows{client="acme"} 1'
    has "$f" 'sync_sqlite_wal_bytes{client="acme"} 1234'
    has "$f" 'sync_sqlite_wal_bytes{client="beta"} 0'
    has "$f" 'sync_last_run_duration_seconds{client="acme"} 1.5'
    has "$f" '# TYPE sync_rows_synced_total counter'
    has "$f" '# TYPE sync_is_leader gauge'
    # Leader changes are the lease epoch; each tenant's cluster and schema.
    has "$f" 'sync_leader_changes_total{cluster="X"} 3'
    has "$f" 'sync_tenant_info{client="acme",cluster="X",schema="acme"} 1'
    # Run durations of the successful jobs (5 s and 1.5 s): a run of exactly 5 s is in le="5".
    has "$f" '# TYPE sync_run_duration_seconds histogram'
    has "$f" 'sync_run_duration_seconds_bucket{client="acme",le="1"} 0'
    has "$f" 'sync_run_duration_seconds_bucket{client="acme",le="2.5"} 1'
    has "$f" 'sync_run_duration_seconds_bucket{client="acme",le="5"} 2'
    has "$f" 'sync_run_duration_seconds_bucket{client="acme",le="+Inf"} 2'
    has "$f" 'sync_run_duration_seconds_sum{client="acme"} 6.5'
    has "$f" 'sync_run_duration_seconds_count{client="acme"} 2'
    has "$f" 'sync_run_duration_seconds_count{client="beta"} 0'
    # Conflicts: three detected, one resolved by newest_wins in favour of the source.
    has "$f" 'sync_conflicts_detected_total{client="acme"} 3'
    has "$f" 'sync_conflicts_resolved_total{client="acme",strategy="newest_wins",resolution="source"} 1'
    [ "$(grep -c '^sync_conflicts_resolved_total' "$f")" = 1 ]
    # Rows by table and operation, from sync_progress.
    has "$f" 'sync_table_rows_synced_total{client="acme",table="chat",op="inserted"} 104'
    has "$f" 'sync_table_rows_synced_total{client="acme",table="chat",op="updated"} 3'
    has "$f" 'sync_table_rows_synced_total{client="acme",table="user",op="deleted"} 2'
    has "$f" 'sync_table_rows_synced_total{client="acme",table="user",op="quarantined"} 1'
    # The last success, to the microsecond, as the database has it.
    run -0 admin "SELECT extract(epoch FROM max(finished_at))::float8 FROM sync_metadata.sync_jobs
                   WHERE client_id = 'acme' AND status = 'success'"
    has "$f" "sync_last_success_timestamp_seconds{client=\"acme\"} $output"
    # Only tenants that ever succeeded; archived tenants and other hosts not at all.
    run -1 grep -c 'client="beta"' <(grep '^sync_last_success_timestamp_seconds' "$f")
    run -1 grep -E 'gamma|other|"Y"' "$f"
    # No timestamps: every sample line is exactly "name{labels} value".
    run -1 grep -Ev '^(# (HELP|TYPE) .*|[a-z_]+(\{[^}]*\})? [-+0-9.eInfNa]+)$' "$f"
    run -0 promtool check metrics <"$f"
    [ "$(stat -c %a "$f")" = 644 ]
}

@test "json: the same numbers as the metrics, healthy, exit 0" {
    run -0 st --host X --json
    local j="$output"
    [ "$(jq -r '.healthy' <<<"$j")" = true ]
    [ "$(jq -c '.problems' <<<"$j")" = '[]' ]
    [ "$(jq -r '[.clients[].client] | join(",")' <<<"$j")" = "acme,beta,gamma" ]
    [ "$(jq -c '.clients[] | select(.client == "acme") | [.rows.inserted, .rows.updated, .rows.deleted,
          .rows.quarantined, .jobs_failed, .conflicts_unresolved, .quarantined_rows, .sqlite_wal_bytes,
          .last_job_status, .last_error, .last_run_duration_seconds, .jobs]' <<<"$j")" = '[105,3,2,1,1,2,1,1234,"success",null,1.5,3]' ]
    [ "$(jq -r '.clients[] | select(.client == "gamma") | .archived' <<<"$j")" = true ]
    [ "$(jq -c '.clients[] | select(.client == "beta") | [.last_success_at, .seconds_since_success, .stale]' <<<"$j")" = '[null,null,false]' ]
    [ "$(jq -c '[.nodes[] | [.node, .is_leader, .health]]' <<<"$j")" = '[["node-a",true,"active"],["node-b",false,"active"]]' ]
    [ "$(jq -c '[.leases[] | [.cluster, .holder, .epoch, .held]]' <<<"$j")" = '[["X","node-a",3,true]]' ]
    local since lag
    since="$(jq '.clients[] | select(.client == "acme") | .seconds_since_success' <<<"$j")"
    lag="$(jq '.clients[] | select(.client == "acme") | .lag_seconds' <<<"$j")"
    ((since >= 58 && since <= 65 && lag >= 59 && lag <= 66))
    # JSON and metrics agree for every exported tenant and op.
    local d="$BATS_TEST_TMPDIR/prom"
    mkdir "$d"
    run -0 st --host X --textfile "$d" --json
    local c op want
    for c in acme beta; do
        for op in inserted updated deleted quarantined; do
            want="$(jq ".clients[] | select(.client == \"$c\") | .rows.$op" <<<"$output")"
            has "$d/syncpipe.prom" "sync_rows_synced_total{client=\"$c\",op=\"$op\"} $want"
        done
        want="$(jq ".clients[] | select(.client == \"$c\") | .conflicts_unresolved" <<<"$output")"
        has "$d/syncpipe.prom" "sync_conflicts_unresolved{client=\"$c\"} $want"
    done
}

@test "human: summary line, one line per tenant, Healthy" {
    run -0 st --host X
    local out="$output"
    local want='^Sync Cluster Status: node-a Running \(Leader\) · node-b Running \(Standby\) · Last sync (5[89] s|1 min) ago · Conflicts 2$'
    [[ "${lines[0]}" =~ $want ]]
    [[ "${lines[1]}" == "Lease: node-a, epoch 3, expires in "*" s" ]]
    [[ "$output" == *$'\nCLIENT '*"LAST SUCCESS"*"LAG"*"CONFLICTS"*"QUARANTINED"*"LAST ERROR"* ]]
    grep -Eq '^acme +success +(5[89] s|1 min) ago +(5[89] s|1 min) +1\.5 s +2 +1 +-$' <<<"$out"
    grep -Eq '^beta +new +never +- +- +0 +0 +-$' <<<"$out"
    grep -Eq '^gamma +archived +never +- +0\.0 s +0 +0 +gone$' <<<"$out"
    [ "${lines[-1]}" = "Healthy." ]
}

@test "--client: recent jobs newest first, with row counts; unknown tenant exits 1" {
    run -0 st --host X --client acme --json
    [ "$(jq -c '[.jobs[] | [.status, .rows.inserted, .rows.updated, .rows.deleted, .rows.quarantined, .error]]' <<<"$output")" = \
      '[["success",5,3,2,1,null],["failed",0,0,0,0,"disk I/O error"],["success",100,0,0,0,null]]' ]
    [ "$(jq -r '[.clients[].client] | join(",")' <<<"$output")" = acme ]
    run -0 st --host X --client acme --limit 1 --json
    [ "$(jq '.jobs | length' <<<"$output")" = 1 ]
    run -0 st --host X --client acme
    [[ "$output" == *"Recent jobs:"* ]]
    run -0 grep -E '^[0-9]+ +node-b +3 +.* failed +0 +0 +0 +0 +0 \(0 open\) +disk I/O error$' <<<"$output"
    run -1 st --host X --client nosuch
    [ "$output" = "sync-status: error: no tenant nosuch visible for host X" ]
}

@test "--conflicts: unresolved first, newest first" {
    run -0 st --host X --conflicts --json
    [ "$(jq -c '[.conflicts[] | [.row_key, .resolved_at == null]]' <<<"$output")" = \
      '[["[\"u1\"]",true],["[\"c1\"]",true],["[\"c2\"]",false]]' ]
    run -0 st --host X --conflicts
    run -0 grep -cE ' UNRESOLVED$' <<<"$output"
    [ "$output" = 2 ]
    run -0 st --host X --client beta --conflicts --json
    [ "$(jq -c '[(.conflicts | length), (.jobs | length), [.clients[].client]]' <<<"$output")" = '[0,0,["beta"]]' ]
    run -0 st --host X --client acme --conflicts --limit 1 --json
    [ "$(jq -c '[.conflicts[].row_key]' <<<"$output")" = '["[\"u1\"]"]' ]
}

@test "rls: --host X never sees host Y's tenants, even with --all-hosts" {
    run -0 st --host X --all-hosts --json
    [ "$(jq -r '[.clients[].client] | join(",")' <<<"$output")" = "acme,beta,gamma" ]
    [ "$(jq -r '[.nodes[].cluster, .leases[].cluster] | unique | join(",")' <<<"$output")" = X ]
    run -0 st --host Y --json
    [ "$(jq -r '[.clients[].client] | join(",")' <<<"$output")" = other ]
    run -0 st --host Y --conflicts --json
    [ "$(jq '.conflicts | length' <<<"$output")" = 1 ]
    run -1 st --host X --client other
    # Without the filter, the admin (who bypasses RLS) sees both hosts.
    run -0 "$STATUS" --host X --all-hosts --json --dsn "dbname=$DB"
    [ "$(jq -r '[.clients[].client] | join(",")' <<<"$output")" = "acme,beta,gamma,other" ]
}

@test "failover: the other node leads with a new epoch" {
    fixture_simple F f1 '10 seconds'
    admin "INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('F', 'node-b', now())"
    local d="$BATS_TEST_TMPDIR/prom"
    mkdir "$d"
    run -0 st --host F --textfile "$d"
    has "$d/syncpipe.prom" 'sync_is_leader{cluster="F",node="node-a"} 1'
    # node-a dies: its lease expires, node-b takes over with the next epoch.
    admin "UPDATE sync_metadata.hosts SET last_heartbeat = now() - interval '10 minutes' WHERE host_id = 'F' AND node_name = 'node-a';
           UPDATE sync_metadata.leader_election SET holder = 'node-b', epoch = 2, expires_at = now() + interval '30 s'
            WHERE cluster_id = 'F'"
    run -0 st --host F --textfile "$d"
    has "$d/syncpipe.prom" 'sync_is_leader{cluster="F",node="node-a"} 0'
    has "$d/syncpipe.prom" 'sync_is_leader{cluster="F",node="node-b"} 1'
    has "$d/syncpipe.prom" 'sync_lease_epoch{cluster="F"} 2'
    run -0 st --host F
    [[ "${lines[0]}" == "Sync Cluster Status: node-a Offline (Standby) · node-b Running (Leader) · "* ]]
}

@test "unhealthy: stale last success exits 3; a fresh success makes it healthy again" {
    fixture_simple S s1 '10 minutes'
    local d="$BATS_TEST_TMPDIR/prom"
    mkdir "$d"
    run -3 st --host S --textfile "$d"
    [ "$output" = "sync-status: warning: unhealthy: s1: last success 600 s ago, over 3 x its 60 s interval" ]
    has "$d/syncpipe.prom" 'sync_healthy 0'
    run -3 st --host S --json
    [ "$(jq -c '[.healthy, .clients[0].stale]' <<<"$output")" = '[false,true]' ]
    run -3 st --host S
    [ "${lines[-2]}" = "Unhealthy:" ]
    admin "INSERT INTO sync_metadata.sync_jobs (host_id, client_id, started_at, finished_at, status)
           VALUES ('S', 's1', now() - interval '2 s', now(), 'success')"
    run -0 st --host S --json
    [ "$(jq -c '[.healthy, .clients[0].stale]' <<<"$output")" = '[true,false]' ]
}

@test "unhealthy: a failed last job exits 3; fenced does not count as failed" {
    fixture_simple L l1 '10 seconds'
    admin "INSERT INTO sync_metadata.sync_jobs (host_id, client_id, started_at, finished_at, status, error)
           VALUES ('L', 'l1', now(), now(), 'fenced', 'lease lost')"
    run -0 st --host L --json
    admin "INSERT INTO sync_metadata.sync_jobs (host_id, client_id, started_at, finished_at, status, error)
           VALUES ('L', 'l1', now() + interval '1 s', now() + interval '1 s', 'failed', 'constraint violated')"
    run -3 st --host L --json
    [ "$(jq -c '.problems' <<<"$output")" = '["l1: last job failed: constraint violated"]' ]
}

@test "unhealthy: no leader (lease expired, or never acquired) exits 3" {
    fixture_simple N n1 '10 seconds'
    admin "UPDATE sync_metadata.leader_election SET expires_at = now() - interval '1 s' WHERE cluster_id = 'N'"
    run -3 st --host N --json
    [ "$(jq -c '.problems' <<<"$output")" = '["cluster N: no node holds the lease"]' ]
    run -3 st --host nothing-here --json
    [ "$(jq -c '.problems' <<<"$output")" = '["cluster nothing-here: no node holds the lease"]' ]
}

@test "textfile: label values are escaped; promtool accepts them" {
    # Client ids are plain identifiers (the database refuses others); node names are free text.
    fixture_simple E e1 '10 seconds'
    admin "INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat)
           VALUES ('E', E'we\"ird\\\\name', now()), ('E', E'line\\nbreak', now())"
    local d="$BATS_TEST_TMPDIR/prom"
    mkdir "$d"
    run -0 st --host E --textfile "$d"
    has "$d/syncpipe.prom" 'sync_is_leader{cluster="E",node="we\"ird\\name"} 0'
    has "$d/syncpipe.prom" 'sync_is_leader{cluster="E",node="line\nbreak"} 0'
    run -0 promtool check metrics <"$d/syncpipe.prom"
}

@test "textfile: a reader looping during repeated writes never sees a partial file" {
    local d="$BATS_TEST_TMPDIR/prom"
    mkdir "$d"
    st --host X --textfile "$d"
    local want want_last
    want="$(wc -l <"$d/syncpipe.prom")"
    want_last="$(tail -n 1 "$d/syncpipe.prom")"
    (
        for _ in $(seq 40); do st --host X --textfile "$d" || exit 1; done
        touch "$d/done"
    ) &
    local writer=$! reads=0 bad=0 n last snap="$BATS_TEST_TMPDIR/snap"
    while [[ ! -e "$d/done" ]] && kill -0 "$writer" 2>/dev/null; do
        # One open(): whatever inode the name points to, read to its end.
        cat "$d/syncpipe.prom" >"$snap"
        n="$(wc -l <"$snap")"
        last="$(tail -n 1 "$snap")"
        if [[ "$n" != "$want" || "$last" != "$want_last" ]]; then
            bad=$((bad + 1))
        fi
        reads=$((reads + 1))
    done
    wait "$writer"
    echo "# reads $reads bad $bad" >&3
    ((reads > 20 && bad == 0))
    # No temporary file is left behind.
    [ "$(ls "$d")" = "$(printf 'done\nsyncpipe.prom')" ]
}

@test "textfile: a full file system leaves the old file intact and exits 1 with one line" {
    [[ $(id -u) -eq 0 ]] || skip "needs root to mount a tmpfs"
    MNT="$BATS_TEST_TMPDIR/full"
    mkdir "$MNT"
    mount -t tmpfs -o size=64k,mode=0755 tmpfs "$MNT"
    run -0 st --host X --textfile "$MNT"
    cp "$MNT/syncpipe.prom" "$BATS_TEST_TMPDIR/before"
    dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
    # Make sure the next write differs (heartbeat ages move with time anyway).
    admin "UPDATE sync_metadata.leader_election SET epoch = epoch WHERE cluster_id = 'X'"
    run -1 st --host X --textfile "$MNT"
    [[ "$output" == "sync-status: error: cannot write $MNT/syncpipe.prom: write: No space left on device" ]]
    [ "${#lines[@]}" = 1 ]
    cmp "$MNT/syncpipe.prom" "$BATS_TEST_TMPDIR/before"
    [ "$(ls "$MNT")" = "$(printf 'fill\nsyncpipe.prom')" ]
}

@test "textfile: a read-only directory leaves the old file intact and exits 1" {
    [[ $(id -u) -eq 0 ]] || skip "needs root to mount a tmpfs"
    MNT="$BATS_TEST_TMPDIR/ro"
    mkdir "$MNT"
    mount -t tmpfs -o size=64k tmpfs "$MNT"
    run -0 st --host X --textfile "$MNT"
    cp "$MNT/syncpipe.prom" "$BATS_TEST_TMPDIR/before"
    mount -o remount,ro "$MNT"
    run -1 st --host X --textfile "$MNT"
    [[ "$output" == "sync-status: error: cannot write $MNT/syncpipe.prom: create temporary file: Read-only file system" ]]
    cmp "$MNT/syncpipe.prom" "$BATS_TEST_TMPDIR/before"
}

@test "textfile: PostgreSQL unreachable writes sync_up 0 and exits 75" {
    local d="$BATS_TEST_TMPDIR/prom" port
    mkdir "$d"
    port="$(_pgcluster_pick_port)"
    run -75 env PGCONNECT_TIMEOUT=2 "$STATUS" --host X --dsn "host=127.0.0.1 port=$port dbname=$DB user=sync_service" --textfile "$d"
    [[ "$output" == "sync-status: error: cannot connect to PostgreSQL: "* ]]
    [ "$(cat "$d/syncpipe.prom")" = "# HELP sync_up 1 if sync-status could read sync_metadata from PostgreSQL, else 0.
# TYPE sync_up gauge
sync_up 0" ]
    run -0 promtool check metrics <"$d/syncpipe.prom"
}

@test "usage: bad options exit 64" {
    run -64 "$STATUS" --no-such-option
    run -64 "$STATUS" --limit -1
    run -64 "$STATUS" --textfile ''
}

@test "alert rules: promtool accepts them; no-leader and stale-tenant alerts fire as intended" {
    local rules="$BATS_TEST_DIRNAME/../../config/alerts/syncpipe.rules.yml" t="$BATS_TEST_TMPDIR/rules_test.yml"
    run -0 promtool check rules "$rules"
    cat >"$t" <<YAML
rule_files: ["$rules"]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # Cluster X: node-a leads, as both nodes report. Cluster Z: nobody leads.
      - series: 'sync_is_leader{cluster="X",node="node-a",instance="a"}'
        values: '1x10'
      - series: 'sync_is_leader{cluster="X",node="node-a",instance="b"}'
        values: '1x10'
      - series: 'sync_is_leader{cluster="X",node="node-b",instance="b"}'
        values: '0x10'
      - series: 'sync_is_leader{cluster="Z",node="node-a",instance="z"}'
        values: '0x10'
      # fresh: succeeded at t=0 and every minute; stale: last success at t=0, interval 60 s.
      - series: 'sync_last_success_timestamp_seconds{client="fresh",instance="a"}'
        values: '0+60x20'
      - series: 'sync_last_success_timestamp_seconds{client="stale",instance="a"}'
        values: '0x20'
      - series: 'sync_interval_seconds{client="fresh",instance="a"}'
        values: '60x20'
      - series: 'sync_interval_seconds{client="stale",instance="a"}'
        values: '60x20'
    alert_rule_test:
      - eval_time: 5m
        alertname: SyncNoLeader
        exp_alerts:
          - exp_labels: {severity: critical, cluster: Z}
            exp_annotations:
              summary: "No sync node of cluster Z holds the lease"
              description: "Nothing is being synced. Check \`sync-lease show --cluster Z\` and the timers on both nodes."
      - eval_time: 5m
        alertname: SyncTenantStale
      - eval_time: 10m
        alertname: SyncTenantStale
        exp_alerts:
          - exp_labels: {severity: warning, client: stale}
            exp_annotations:
              summary: "Tenant stale has not synced successfully for over 3 intervals"
              description: "See \`sync-status --client stale\` for its recent jobs and last error."
YAML
    run promtool test rules "$t"
    echo "$output"
    [ "$status" -eq 0 ]
}
