// The totals of sync-status that sum history: each reads the remaining rows
// plus what apply_retention folded into a rollup (sql/009_retention.sql), in
// the caller's snapshot, so a row counts in one or the other, never both.
#include <map>

#include "core/error.hpp"
#include "fields.hpp"

namespace syncpipe::status {

namespace {

// Successful runs per tenant and 0-based histogram bucket.
const char* kDurationsSql = R"(
SELECT client_id, bucket, sum(n)::bigint
  FROM (SELECT j.client_id, sync_metadata.run_duration_bucket(extract(epoch FROM j.finished_at - j.started_at))
               AS bucket, 1 AS n
          FROM sync_metadata.sync_jobs j
         WHERE ($2 OR j.host_id = $1) AND j.status = 'success' AND j.finished_at IS NOT NULL
        UNION ALL
        SELECT r.client_id, (u.i - 1)::int, u.n
          FROM sync_metadata.job_rollup r, unnest(r.duration_runs) WITH ORDINALITY AS u(n, i)
         WHERE ($2 OR r.host_id = $1)) x
 GROUP BY 1, 2
 ORDER BY 1, 2)";

// Rows by table and operation; sync_progress rows written before migration
// 009 have no per-operation counts (NULL, counted as 0).
const char* kTablesSql = R"(
SELECT client_id, table_name, sum(ins)::bigint, sum(upd)::bigint, sum(del)::bigint, sum(quar)::bigint
  FROM (SELECT p.client_id, p.table_name, coalesce(p.rows_inserted, 0) AS ins, coalesce(p.rows_updated, 0) AS upd,
               coalesce(p.rows_deleted, 0) AS del, coalesce(p.rows_quarantined, 0) AS quar
          FROM sync_metadata.sync_progress p
         WHERE ($2 OR p.host_id = $1)
        UNION ALL
        SELECT r.client_id, r.table_name, r.rows_inserted, r.rows_updated, r.rows_deleted, r.rows_quarantined
          FROM sync_metadata.table_rollup r
         WHERE ($2 OR r.host_id = $1)) x
 GROUP BY 1, 2
 ORDER BY 1, 2)";

// Conflicts by strategy and resolution; an open one counts as "unresolved".
const char* kConflictCountsSql = R"(
SELECT client_id, strategy, resolution, sum(detected)::bigint, sum(resolved)::bigint
  FROM (SELECT c.client_id, coalesce(c.resolution_strategy, 'none') AS strategy,
               CASE WHEN c.resolved_at IS NULL THEN 'unresolved' ELSE coalesce(c.resolution, 'none') END
               AS resolution, 1 AS detected, (c.resolved_at IS NOT NULL)::int AS resolved
          FROM sync_metadata.conflict_log c
         WHERE ($2 OR c.host_id = $1)
        UNION ALL
        SELECT r.client_id, r.strategy, r.resolution, r.conflicts, r.conflicts
          FROM sync_metadata.conflict_rollup r
         WHERE ($2 OR r.host_id = $1)) x
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3)";

std::vector<double> bounds(pg::Connection& conn) {
  auto res = conn.exec_sql("SELECT unnest(sync_metadata.run_duration_bounds())");
  std::vector<double> out;
  for (int r = 0; r < res.ntuples(); ++r) out.push_back(Fields(res, r).f64());
  return out;
}

void load_durations(pg::Connection& conn, const Query& q, Snapshot& s) {
  std::map<std::string, Tenant*> by_client;
  for (auto& t : s.tenants) {
    t.duration_buckets.assign(s.duration_bounds.size() + 1, 0);
    by_client[t.client] = &t;
  }
  auto res = conn.exec_params(kDurationsSql, params(q));
  for (int r = 0; r < res.ntuples(); ++r) {
    Fields f(res, r);
    auto it = by_client.find(f.str());
    const std::int64_t bucket = f.i64(), n = f.i64();
    if (it == by_client.end()) continue;  // jobs of a tenant no longer registered
    if (bucket < 0 || static_cast<std::size_t>(bucket) >= it->second->duration_buckets.size())
      throw RuntimeError("run_duration_bucket() returned bucket " + std::to_string(bucket) +
                         ", outside run_duration_bounds()");
    it->second->duration_buckets[static_cast<std::size_t>(bucket)] += n;
  }
}

TableRows read_table(Fields& f) {
  TableRows t;
  t.client = f.str();
  t.table = f.str();
  t.inserted = f.i64();
  t.updated = f.i64();
  t.deleted = f.i64();
  t.quarantined = f.i64();
  return t;
}

ConflictCount read_conflict_count(Fields& f) {
  ConflictCount c;
  c.client = f.str();
  c.strategy = f.str();
  c.resolution = f.str();
  c.detected = f.i64();
  c.resolved = f.i64();
  return c;
}

}  // namespace

void load_totals(pg::Connection& conn, const Query& q, Snapshot& s) {
  s.duration_bounds = bounds(conn);
  load_durations(conn, q, s);
  s.tables = rows<TableRows>(conn, kTablesSql, q, read_table);
  s.conflict_counts = rows<ConflictCount>(conn, kConflictCountsSql, q, read_conflict_count);
}

}  // namespace syncpipe::status
