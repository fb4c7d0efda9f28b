#!/usr/bin/env bash
# bench/status.sh — what sync-status --textfile costs with a long job history, before and after
# sync_metadata.apply_retention() (sql/009_retention.sql), on one throwaway cluster.
#
#   bench/status.sh [JOBS [TENANTS]]       (default 1000000 jobs over 100 tenants)
#
# Host B gets TENANTS tenants and JOBS historic sync_jobs rows, spread evenly over the last 100 days (one
# success in 20 failed; durations 0.05 s to 60 s), with two sync_progress rows each and a resolved
# conflict per 100 jobs. Then, as sync_service over TCP, it times (median of BENCH_REPEAT runs, default 5)
# sync-status --host B --textfile DIR:
#   history     all JOBS rows, the indexes of the migrations
#   no-index    the same without the per-tenant (client_id, started_at) indexes of sync_jobs (what they save)
#   retention   the time of apply_retention(interval '7 days') itself
#   kept-7d     after it: the rollups plus the last 7 days of rows
#   kept-1d     after apply_retention(interval '1 day')
# and checks that the .prom file keeps every value through both retentions (time-varying lines aside).
# Prints one line per measurement ("name seconds rows-in-sync_jobs"). Exit 1 when a step fails or a value
# changed.
#
# Environment: BUILD_DIR (default <repo>/build), BENCH_REPEAT, PGCLUSTER_PORT (tests/lib/pgcluster.sh).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${BUILD_DIR:-$repo/build}")"
jobs="${1:-1000000}"
tenants="${2:-100}"
repeat="${BENCH_REPEAT:-5}"
status="$build/tools/status/sync-status"

log() { printf 'bench-status: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -x "$status" ]] || die "not built: $status"
[[ "$jobs" =~ ^[0-9]+$ && "$tenants" =~ ^[1-9][0-9]*$ ]] || die "usage: bench/status.sh [JOBS [TENANTS]]"

# shellcheck source=tests/lib/pgcluster.sh
source "$repo/tests/lib/pgcluster.sh"
pgcluster_start || die "no cluster"
work="$(mktemp -d "${TMPDIR:-/tmp}/bench-status.XXXXXX")"
trap 'pgcluster_stop; rm -rf "$work"' EXIT
pgcluster_service_db benchstatus || die "cannot create the database"

admin() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# The history: job i belongs to tenant i % TENANTS and started (JOBS - i) / JOBS * 100 days ago.
fill() {
    admin -v jobs="$jobs" -v tenants="$tenants" <<'SQL'
INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('B', 'node-a', now());
INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
VALUES ('B', 'node-a', 1, now() + interval '1 hour');
INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name)
SELECT 't' || n, 'B', 't' || n FROM generate_series(0, :tenants - 1) n;
INSERT INTO sync_metadata.sync_jobs (job_id, host_id, client_id, started_at, finished_at, status,
                                     rows_inserted, rows_updated, rows_deleted, error)
SELECT i, 'B', 't' || (i % :tenants), s, s + make_interval(secs => 0.05 + (i % 1200) * 0.05),
       CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'success' END, i % 7, i % 3, i % 2,
       CASE WHEN i % 20 = 0 THEN 'bench failure' END
  FROM generate_series(1, :jobs) i,
       LATERAL (SELECT now() - make_interval(secs => (:jobs - i)::float8 / :jobs * 8640000) AS s) t;
INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done, rows_inserted,
                                         rows_updated, rows_deleted, rows_quarantined, updated_at)
SELECT j.job_id, 'B', j.client_id, tb, 1, j.rows_inserted, j.rows_updated, j.rows_deleted, 0, j.finished_at
  FROM sync_metadata.sync_jobs j, unnest(ARRAY['chat', 'message']) tb;
INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, resolution_strategy, resolution,
                                        detected_at, resolved_at, source_hash)
SELECT 'B', client_id, 'chat', job_id::text, 'newest_wins', 'source', started_at, finished_at, 'h'
  FROM sync_metadata.sync_jobs WHERE job_id % 100 = 0;
VACUUM ANALYZE;
SQL
}

# once — one sync-status --textfile run, in seconds.
once() {
    local t0 t1
    t0="$(date +%s.%N)"
    "$status" --dsn "$SVC" --host B --textfile "$work" 2>/dev/null || (($? == 3)) || return 1
    t1="$(date +%s.%N)"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# measure NAME — the median of $repeat runs, printed with the jobs left.
measure() {
    local i times=() n
    for ((i = 0; i < repeat; i++)); do times+=("$(once)") || die "sync-status failed"; done
    n="$(admin -c "SELECT count(*) FROM sync_metadata.sync_jobs")"
    printf '%-10s %8s s  %9s jobs\n' "$1" "$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" "$n"
}

# metrics FILE — the .prom without the lines that move with the clock.
metrics() {
    grep -Ev '^sync_(node_heartbeat_age_seconds|lease_expires_in_seconds)\{' "$work/syncpipe.prom" >"$1"
}

retain() {
    local t0 t1 out
    t0="$(date +%s.%N)"
    out="$(printf "SELECT set_config('syncpipe.host_id', 'B', true) \\\\g /dev/null\nSELECT sync_metadata.apply_retention(interval '%s');\n" "$1" |
        psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$SVC" -f -)" || die "apply_retention failed"
    t1="$(date +%s.%N)"
    printf '%-10s %8s s  removed %s\n' "retention" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$out"
    admin -c "VACUUM ANALYZE sync_metadata.sync_jobs, sync_metadata.sync_progress, sync_metadata.conflict_log" ||
        die "vacuum failed"
}

log "filling $jobs jobs over $tenants tenants"
fill >/dev/null || die "fill failed"
measure history
metrics "$work/before"
admin -c "DROP INDEX sync_metadata.sync_jobs_client_started_idx, sync_metadata.sync_jobs_client_success_idx" ||
    die "drop index failed"
measure no-index
admin -c "CREATE INDEX sync_jobs_client_started_idx ON sync_metadata.sync_jobs (client_id, started_at DESC);
          CREATE INDEX sync_jobs_client_success_idx ON sync_metadata.sync_jobs (client_id, started_at DESC)
           WHERE status = 'success'; ANALYZE sync_metadata.sync_jobs" || die "create index failed"
retain '7 days'
measure kept-7d
metrics "$work/after-7d"
retain '1 day'
measure kept-1d
metrics "$work/after-1d"
if ! cmp -s "$work/before" "$work/after-7d" || ! cmp -s "$work/before" "$work/after-1d"; then
    diff "$work/before" "$work/after-1d" | head >&2
    die "a metric changed through retention"
fi
echo "every metric value unchanged through retention ($(grep -vc '^#' "$work/before") samples)"
