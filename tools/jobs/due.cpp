#include "due.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "pg/binary_array.hpp"
#include "pg/connection.hpp"
#include "cli/fence.hpp"
#include "pg/transaction.hpp"
#include "sqlite/fingerprint.hpp"

namespace syncpipe::jobs {

namespace {

// One row per enabled tenant of the host with why it is due (NULL: not due).
// Both lateral lookups walk sync_jobs_client_started_idx / _success_idx.
constexpr const char* kTenantsSql = R"(
SELECT d.client_id, d.schema_name, coalesce(d.source_path, ''),
       CASE WHEN d.sync_requested_at IS NOT NULL THEN 'requested'
            WHEN ls.started_at IS NULL THEN 'never synced'
            WHEN lj.status <> 'success' THEN 'last run ' || lj.status
            WHEN now() - ls.started_at >= make_interval(secs => d.sync_interval_seconds) THEN 'interval'
       END,
       coalesce(d.source_fingerprint, ''),
       d.sync_requested_at IS NULL AND lj.status = 'success'
         AND NOT EXISTS (SELECT 1 FROM sync_metadata.conflict_log c
                          WHERE c.client_id = d.client_id AND c.resolved_at IS NULL)
  FROM sync_metadata.client_deployments d
  LEFT JOIN LATERAL (SELECT j.status FROM sync_metadata.sync_jobs j WHERE j.client_id = d.client_id
                      ORDER BY j.started_at DESC, j.job_id DESC LIMIT 1) lj ON true
  LEFT JOIN LATERAL (SELECT j.started_at FROM sync_metadata.sync_jobs j
                      WHERE j.client_id = d.client_id AND j.status = 'success'
                      ORDER BY j.started_at DESC, j.job_id DESC LIMIT 1) ls ON true
 WHERE d.host_id = $1 AND d.sync_enabled AND d.archived_at IS NULL
 ORDER BY d.client_id)";

// A job of this host's lease that is still 'running' when a cycle of the
// leader begins is dead: an earlier epoch can never commit again, and this
// node runs one cycle at a time. Ad-hoc jobs (no epoch) are left alone.
constexpr const char* kAbandonedSql = R"(
UPDATE sync_metadata.sync_jobs
   SET status = 'failed', finished_at = clock_timestamp(),
       error = format('killed or lost mid-run: still running when node %s began a cycle with lease epoch %s',
                      $3::text, $2::bigint)
 WHERE host_id = $1 AND status = 'running' AND epoch IS NOT NULL
   AND (epoch < $2 OR (epoch = $2 AND node_name = $3))
RETURNING client_id, job_id)";

constexpr const char* kUnchangedSql = R"(
INSERT INTO sync_metadata.sync_jobs (host_id, client_id, node_name, epoch, status, finished_at)
SELECT $1, c, $2, $3, 'success', clock_timestamp() FROM unnest($4::text[]) c)";

constexpr const char* kUnusableSql = R"(
INSERT INTO sync_metadata.sync_jobs (host_id, client_id, node_name, epoch, status, finished_at, error)
SELECT $1, c, $2, $3, 'failed', clock_timestamp(),
       'client_deployments: client_id, schema_name or source_path holds a tab or newline; not run'
  FROM unnest($4::text[]) c)";

constexpr const char* kTakeRequestsSql = R"(
UPDATE sync_metadata.client_deployments SET sync_requested_at = NULL
 WHERE client_id = ANY($1::text[]) AND sync_requested_at IS NOT NULL)";

// Every job a run starts from now on gets a larger id than this.
constexpr const char* kLastJobIdSql =
    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM sync_metadata.sync_jobs_job_id_seq";

std::vector<Tenant> due_tenants(pg::Connection& conn, const std::string& host, std::size_t& enabled) {
  auto r = conn.exec_params(kTenantsSql, {pg::Param::text(host)});
  enabled = static_cast<std::size_t>(r.ntuples());
  std::vector<Tenant> out;
  for (int i = 0; i < r.ntuples(); ++i) {
    if (r.is_null(i, 3)) continue;
    out.push_back({std::string(r.get(i, 0)), std::string(r.get(i, 1)), std::string(r.get(i, 2)),
                   std::string(r.get(i, 3)), std::string(r.get(i, 4)), r.get(i, 5) == "t"});
  }
  return out;
}

void mark_abandoned(pg::Connection& conn, const ndjson::Lease& lease) {
  auto r = conn.exec_params(kAbandonedSql, {pg::Param::text(lease.cluster), pg::Param::int64(lease.epoch),
                                            pg::Param::text(lease.holder)});
  for (int i = 0; i < r.ntuples(); ++i)
    log::warn("{}: job {} was still running (killed or lost mid-run); marked failed", r.get(i, 0), r.get(i, 1));
}

// A path the cycle could not read back from a tab-separated line.
bool printable(const std::string& s) { return s.find_first_of("\t\n\r") == std::string::npos; }

}  // namespace

bool unchanged(const Tenant& t) {
  if (!t.may_skip || t.stored_fingerprint.empty() || t.source.empty()) return false;
  return sqlite::take_fingerprint(t.source).text == t.stored_fingerprint;
}

int due(const DueOptions& opt) {
  const auto& lease = opt.lease;
  auto conn = pg::Connection::open(opt.dsn, "sync-jobs");
  pg::Transaction tx(conn);
  tx.set_local("syncpipe.host_id", lease.cluster);
  mark_abandoned(conn, lease);
  std::size_t enabled = 0;
  auto tenants = due_tenants(conn, lease.cluster, enabled);
  pg::BinaryArray same(pg::Param::kTextOid), run(pg::Param::kTextOid), unusable(pg::Param::kTextOid);
  std::vector<const Tenant*> to_run;
  for (const auto& t : tenants) {
    if (unchanged(t)) {
      same.add(t.client);
      continue;
    }
    if (!printable(t.client) || !printable(t.schema) || !printable(t.source)) {
      log::warn("{}: its id, schema or source_path holds a tab or newline; not run", t.client);
      unusable.add(t.client);
      continue;
    }
    run.add(t.client);
    to_run.push_back(&t);
  }
  if (same.size() > 0)
    conn.exec_params(kUnchangedSql, {pg::Param::text(lease.cluster), pg::Param::text(lease.holder),
                                     pg::Param::int64(lease.epoch), same.param()});
  if (unusable.size() > 0)
    conn.exec_params(kUnusableSql, {pg::Param::text(lease.cluster), pg::Param::text(lease.holder),
                                    pg::Param::int64(lease.epoch), unusable.param()});
  if (run.size() > 0) conn.exec_params(kTakeRequestsSql, {run.param()});
  auto after = conn.exec_params(kLastJobIdSql, {}).get_int64(0, 0);
  // Fenced at the end: the lease row's lock (FOR SHARE) is held only from
  // here to the commit, not while the files above were stat'ed.
  pg::check_fence(conn, cli::fence_of(lease));
  tx.commit();
  for (const auto* t : to_run) {
    log::debug("{}: due ({})", t->client, t->why);
    std::printf("%s\t%s\t%s\t%lld\n", t->client.c_str(), t->schema.c_str(), t->source.c_str(),
                static_cast<long long>(after));
  }
  log::info("{}: {} enabled tenants, {} due: {} unchanged since their last success (recorded), {} to run",
            lease.cluster, enabled, tenants.size(), same.size(), to_run.size());
  return exit_code::kOk;
}

}  // namespace syncpipe::jobs
