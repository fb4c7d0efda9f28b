#include "record.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "pg/binary_array.hpp"
#include "pg/connection.hpp"
#include "cli/fence.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::jobs {

namespace {

// The run's own jobs (id > after) that sync-load left running: it was killed.
constexpr const char* kFailRunningSql = R"(
UPDATE sync_metadata.sync_jobs SET status = 'failed', finished_at = clock_timestamp(), error = $3
 WHERE client_id = $1 AND job_id > $2 AND status = 'running')";

// Unless sync-load already recorded this run's failure (with its own cause).
constexpr const char* kInsertFailedSql = R"(
INSERT INTO sync_metadata.sync_jobs (host_id, client_id, node_name, epoch, status, finished_at, error)
SELECT $1, $2, $3, $4, 'failed', clock_timestamp(), $6
 WHERE NOT EXISTS (SELECT 1 FROM sync_metadata.sync_jobs
                    WHERE client_id = $2 AND job_id > $5 AND status = 'failed')
RETURNING job_id)";

constexpr const char* kRequestSql = R"(
UPDATE sync_metadata.client_deployments SET sync_requested_at = now()
 WHERE host_id = $1 AND sync_enabled AND archived_at IS NULL AND ($2::text[] IS NULL OR client_id = ANY($2::text[]))
RETURNING client_id)";

}  // namespace

int fail(const FailOptions& opt) {
  const auto& lease = opt.lease;
  auto conn = pg::Connection::open(opt.dsn, "sync-jobs");
  pg::Transaction tx(conn);
  tx.set_local("syncpipe.host_id", lease.cluster);
  pg::check_fence(conn, cli::fence_of(lease));
  conn.exec_params(kFailRunningSql,
                   {pg::Param::text(opt.client), pg::Param::int64(opt.after), pg::Param::text(opt.error)});
  auto r = conn.exec_params(kInsertFailedSql,
                            {pg::Param::text(lease.cluster), pg::Param::text(opt.client),
                             pg::Param::text(lease.holder), pg::Param::int64(lease.epoch),
                             pg::Param::int64(opt.after), pg::Param::text(opt.error)});
  tx.commit();
  if (r.ntuples() == 1)
    log::info("{}: failed run recorded as job {}", opt.client, r.get(0, 0));
  else
    log::info("{}: the run's failure was already recorded", opt.client);
  return exit_code::kOk;
}

int request(const RequestOptions& opt) {
  auto conn = pg::Connection::open(opt.dsn, "sync-jobs");
  pg::Transaction tx(conn);
  tx.set_local("syncpipe.host_id", opt.cluster);
  pg::BinaryArray clients(pg::Param::kTextOid);
  for (const auto& c : opt.clients) clients.add(c);
  auto r = conn.exec_params(kRequestSql,
                            {pg::Param::text(opt.cluster), opt.clients.empty() ? pg::Param::null() : clients.param()});
  for (const auto& c : opt.clients) {
    bool found = false;
    for (int i = 0; i < r.ntuples() && !found; ++i) found = r.get(i, 0) == c;
    if (!found)
      throw UsageError(fmt::format("{} is not an enabled tenant of host {}; nothing requested", c, opt.cluster));
  }
  tx.commit();
  log::info("{}: sync requested for {} tenant(s); the next cycle of the lease holder runs them", opt.cluster,
            r.ntuples());
  return exit_code::kOk;
}

}  // namespace syncpipe::jobs
