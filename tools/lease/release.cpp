#include "release.hpp"

#include "common.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::lease {

namespace {

// No DELETE: the row keeps holder and epoch, so the next acquisition (by any
// node, this one included) takes epoch + 1.
constexpr const char* kReleaseSql = R"(
UPDATE sync_metadata.leader_election AS l
   SET expires_at = c.now, released_at = c.now
  FROM (SELECT clock_timestamp() AS now) c
 WHERE l.cluster_id = $1 AND l.holder = $2 AND l.expires_at > c.now
RETURNING l.epoch)";

}  // namespace

int release(const ReleaseOptions& opt) {
  auto conn = pg::Connection::open(opt.dsn, "sync-lease");
  pg::Transaction tx(conn);
  scope(tx, opt.cluster, opt.lock_timeout_ms);
  auto res = conn.exec_params(kReleaseSql, {pg::Param::text(opt.cluster), pg::Param::text(opt.node)});
  tx.commit();
  if (res.ntuples() == 0) {
    log::info("{}: did not hold the lease of cluster {}; nothing to release", opt.node, opt.cluster);
  } else {
    log::info("{}: released the lease of cluster {} (epoch {})", opt.node, opt.cluster, res.get(0, 0));
  }
  return exit_code::kOk;
}

}  // namespace syncpipe::lease
