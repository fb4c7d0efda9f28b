// The queries of sync-status. Each reads columns in SELECT order through a
// Fields cursor, so a query and its reader stay side by side.
#include <sys/stat.h>

#include "core/error.hpp"
#include "fields.hpp"
#include "model.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::status {

namespace {

// SQL for an ISO 8601 UTC rendering of timestamptz expression `e`.
#define ISO(e) "to_char((" e ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

const char* kNodesSql = R"(
SELECT host_id, node_name, hostname, status, health, heartbeat_age_seconds, is_leader
  FROM sync_metadata.v_cluster_health
 WHERE ($2 OR host_id = $1)
 ORDER BY host_id, node_name)";

const char* kLeasesSql = R"(
SELECT cluster_id, holder, epoch, extract(epoch FROM expires_at - now())::float8,
       coalesce(holder IS NOT NULL AND expires_at > now(), false)
  FROM sync_metadata.leader_election
 WHERE ($2 OR cluster_id = $1)
 ORDER BY cluster_id)";

// Totals in one pass over the host's jobs (a hash aggregate), not one scan per
// tenant, plus what retention folded into job_rollup (sql/009_retention.sql):
// a job counts in one or the other. A run is a successful job; durations are
// numeric (exact microseconds) until the sum is done.
const char* kTenantsSql = R"(
WITH per_job AS (
    SELECT j.client_id, j.rows_inserted AS ins, j.rows_updated AS upd, j.rows_deleted AS del,
           j.rows_quarantined AS quar, 1 AS jobs, (j.status = 'failed')::int AS failed,
           CASE WHEN j.status = 'success' THEN extract(epoch FROM j.finished_at - j.started_at) END AS secs
      FROM sync_metadata.sync_jobs j
     WHERE ($2 OR j.host_id = $1)
    UNION ALL
    SELECT r.client_id, r.rows_inserted, r.rows_updated, r.rows_deleted, r.rows_quarantined, r.jobs,
           r.jobs_failed, r.run_seconds
      FROM sync_metadata.job_rollup r
     WHERE ($2 OR r.host_id = $1)
), totals AS (
    SELECT client_id, sum(ins)::bigint AS ins, sum(upd)::bigint AS upd, sum(del)::bigint AS del,
           sum(quar)::bigint AS quar, sum(jobs)::bigint AS jobs, sum(failed)::bigint AS failed,
           coalesce(sum(secs), 0)::float8 AS secs
      FROM per_job
     GROUP BY client_id)
SELECT s.client_id, s.host_id, s.schema_name, s.sync_enabled, s.archived_at IS NOT NULL,
       s.sync_interval_seconds, s.last_job_status, s.last_error,
       )" ISO("s.last_success_at") R"(, extract(epoch FROM s.last_success_at)::float8, s.seconds_since_success,
       floor(extract(epoch FROM now() - ls.started_at))::bigint,
       extract(epoch FROM lf.finished_at - lf.started_at)::float8,
       floor(extract(epoch FROM now() - coalesce(d.registered_at, now())))::bigint,
       s.conflicts_unresolved, s.quarantined_rows,
       coalesce(t.ins, 0), coalesce(t.upd, 0), coalesce(t.del, 0), coalesce(t.quar, 0),
       coalesce(t.jobs, 0), coalesce(t.failed, 0), coalesce(t.secs, 0), d.source_path
  FROM sync_metadata.v_sync_status s
  JOIN sync_metadata.client_deployments d ON d.client_id = s.client_id
  LEFT JOIN totals t ON t.client_id = s.client_id
  LEFT JOIN LATERAL (
        SELECT j.started_at FROM sync_metadata.sync_jobs j
         WHERE j.client_id = s.client_id AND j.status = 'success'
         ORDER BY j.started_at DESC, j.job_id DESC LIMIT 1) ls ON true
  LEFT JOIN LATERAL (
        SELECT j.started_at, j.finished_at FROM sync_metadata.sync_jobs j
         WHERE j.client_id = s.client_id AND j.finished_at IS NOT NULL
         ORDER BY j.started_at DESC, j.job_id DESC LIMIT 1) lf ON true
 WHERE ($2 OR s.host_id = $1)
 ORDER BY s.host_id, s.client_id)";

const char* kJobsSql = R"(
SELECT job_id, node_name, epoch, )" ISO("started_at") R"(, )" ISO("finished_at") R"(,
       extract(epoch FROM finished_at - started_at)::float8, status,
       rows_inserted, rows_updated, rows_deleted, rows_quarantined, conflicts, conflicts_unresolved, bytes, error
  FROM sync_metadata.sync_jobs
 WHERE ($2 OR host_id = $1) AND client_id = $3
 ORDER BY started_at DESC, job_id DESC
 LIMIT $4)";

// Unresolved first, then newest first.
const char* kConflictsSql = R"(
SELECT id, client_id, table_name, row_key, conflict_type, resolution_strategy, resolution, resolved_by,
       )" ISO("detected_at") R"(, )" ISO("resolved_at") R"(
  FROM sync_metadata.conflict_log
 WHERE ($2 OR host_id = $1) AND ($3::text IS NULL OR client_id = $3)
 ORDER BY resolved_at IS NULL DESC, detected_at DESC, id DESC
 LIMIT $4)";

Node read_node(Fields& f) {
  Node n;
  n.cluster = f.str();
  n.node = f.str();
  n.hostname = f.opt_str();
  n.status = f.str();
  n.health = f.str();
  n.heartbeat_age = f.opt_i64();
  n.is_leader = f.boolean();
  return n;
}

Lease read_lease(Fields& f) {
  Lease l;
  l.cluster = f.str();
  l.holder = f.opt_str();
  l.epoch = f.i64();
  l.expires_in = f.opt_f64();
  l.held = f.boolean();
  return l;
}

std::int64_t wal_bytes(const std::optional<std::string>& source) {
  struct stat st {};
  if (!source || source->empty() || ::stat((*source + "-wal").c_str(), &st) != 0) return 0;
  return S_ISREG(st.st_mode) ? static_cast<std::int64_t>(st.st_size) : 0;
}

Tenant read_tenant(Fields& f) {
  Tenant t;
  t.client = f.str();
  t.cluster = f.str();
  t.schema = f.str();
  t.enabled = f.boolean();
  t.archived = f.boolean();
  t.interval = f.i64();
  t.last_status = f.opt_str();
  t.last_error = f.opt_str();
  t.last_success_at = f.opt_str();
  t.last_success_ts = f.opt_f64();
  t.since_success = f.opt_i64();
  t.lag = f.opt_i64();
  t.last_duration = f.opt_f64();
  t.registered_age = f.i64();
  t.conflicts_unresolved = f.i64();
  t.quarantined = f.i64();
  t.inserted = f.i64();
  t.updated = f.i64();
  t.deleted = f.i64();
  t.rows_quarantined = f.i64();
  t.jobs = f.i64();
  t.jobs_failed = f.i64();
  t.run_seconds = f.f64();
  t.source_path = f.opt_str();
  t.wal_bytes = wal_bytes(t.source_path);
  return t;
}

Job read_job(Fields& f) {
  Job j;
  j.id = f.i64();
  j.node = f.opt_str();
  j.epoch = f.opt_i64();
  j.started_at = f.str();
  j.finished_at = f.opt_str();
  j.duration = f.opt_f64();
  j.status = f.str();
  j.inserted = f.i64();
  j.updated = f.i64();
  j.deleted = f.i64();
  j.quarantined = f.i64();
  j.conflicts = f.i64();
  j.conflicts_unresolved = f.i64();
  j.bytes = f.i64();
  j.error = f.opt_str();
  return j;
}

Conflict read_conflict(Fields& f) {
  Conflict c;
  c.id = f.i64();
  c.client = f.str();
  c.table = f.str();
  c.row_key = f.opt_str();
  c.type = f.opt_str();
  c.strategy = f.opt_str();
  c.resolution = f.opt_str();
  c.resolved_by = f.opt_str();
  c.detected_at = f.str();
  c.resolved_at = f.opt_str();
  return c;
}

}  // namespace

Snapshot load(pg::Connection& conn, const Query& q) {
  Snapshot s;
  pg::Transaction tx(conn, pg::Isolation::kRepeatableRead);
  conn.exec_sql("SET TRANSACTION READ ONLY");
  tx.set_local("syncpipe.host_id", q.host);
  // The aggregates over all jobs look expensive to the planner, and JIT
  // compiling them costs seconds more than running them.
  tx.set_local("jit", "off");
  auto now = conn.exec_sql("SELECT " ISO("now()"));
  s.now = std::string(now.get(0, 0));
  s.nodes = rows<Node>(conn, kNodesSql, q, read_node);
  s.leases = rows<Lease>(conn, kLeasesSql, q, read_lease);
  s.tenants = rows<Tenant>(conn, kTenantsSql, q, read_tenant);
  if (q.jobs && q.client) s.jobs = rows<Job>(conn, kJobsSql, q, read_job);
  if (q.conflicts) s.conflicts = rows<Conflict>(conn, kConflictsSql, q, read_conflict);
  load_totals(conn, q, s);
  tx.commit();
  return s;
}

}  // namespace syncpipe::status
