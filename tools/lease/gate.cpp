#include "cli/host.hpp"
#include "gate.hpp"

#include <optional>

#include "common.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/writer.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"
#include "writers.hpp"

namespace syncpipe::lease {

namespace {

// The node's heartbeat; also for standby nodes. Its status is left alone
// (an admin may have deregistered the host).
constexpr const char* kHeartbeatSql = R"(
INSERT INTO sync_metadata.hosts (host_id, node_name, hostname, last_heartbeat)
VALUES ($1, $2, nullif($3, ''), clock_timestamp())
ON CONFLICT (host_id, node_name) DO UPDATE
   SET hostname = coalesce(excluded.hostname, hosts.hostname), last_heartbeat = excluded.last_heartbeat)";

// Acquire or renew in one statement. "now" is ONE reading of the database
// clock, taken before the row lock is waited for: a late reading can only
// make us see the lease as less expired and end our own lease earlier, never
// the reverse. Renewal by the unexpired holder keeps epoch and acquired_at
// and never shortens the expiry it already announced; any other acquisition
// (after expiry or release, also by the same node) takes epoch + 1.
constexpr const char* kGateSqlHead = R"(
INSERT INTO sync_metadata.leader_election AS l
       (cluster_id, holder, epoch, acquired_at, renewed_at, expires_at, released_at)
SELECT $1, $2, 1, c.now, c.now, c.now + make_interval(secs => $3::float8), NULL
  FROM (SELECT clock_timestamp() AS now) c
ON CONFLICT (cluster_id) DO UPDATE
   SET holder = excluded.holder,
       epoch = CASE WHEN l.holder = excluded.holder AND l.expires_at > excluded.renewed_at
                    THEN l.epoch ELSE l.epoch + 1 END,
       acquired_at = CASE WHEN l.holder = excluded.holder AND l.expires_at > excluded.renewed_at
                          THEN l.acquired_at ELSE excluded.acquired_at END,
       renewed_at = excluded.renewed_at,
       expires_at = CASE WHEN l.holder = excluded.holder AND l.expires_at > excluded.renewed_at
                         THEN greatest(l.expires_at, excluded.expires_at) ELSE excluded.expires_at END,
       released_at = NULL
 WHERE (l.holder = excluded.holder AND l.expires_at > excluded.renewed_at)
    OR l.expires_at <= excluded.renewed_at
    OR l.expires_at IS NULL
    OR l.holder IS NULL
RETURNING l.holder, l.epoch, )";

std::string gate_sql() {
  return std::string(kGateSqlHead) + iso_utc("l.acquired_at") + ", " + iso_utc("l.expires_at");
}

std::string holder_sql() {
  return "SELECT coalesce(holder, ''), epoch, " + iso_utc("expires_at") +
         " FROM sync_metadata.leader_election WHERE cluster_id = $1";
}

struct Outcome {
  std::optional<ndjson::Lease> lease;
  std::string acquired_at;
  std::string why;  // for standby: who holds it, or that the row is locked
};

bool is_lock_timeout(const pg::DbError& e) { return e.sqlstate() == "55P03"; }

std::string describe_holder(pg::Connection& conn, const std::string& cluster) {
  auto res = conn.exec_params(holder_sql(), {pg::Param::text(cluster)});
  if (res.ntuples() == 0) return "no lease row";
  return fmt::format("held by {} (epoch {}) until {}", res.get(0, 0), res.get(0, 1), res.get(0, 2));
}

// The lease statement inside a savepoint, so that a lock timeout still lets
// the heartbeat commit.
Outcome try_lease(pg::Connection& conn, const GateOptions& opt) {
  Outcome out;
  conn.exec_sql("SAVEPOINT gate");
  try {
    auto res = conn.exec_params(gate_sql(), {pg::Param::text(opt.cluster), pg::Param::text(opt.node),
                                             pg::Param::text(fmt::format("{}", opt.ttl_seconds))});
    if (res.ntuples() == 1) {
      out.lease = ndjson::Lease{opt.cluster, std::string(res.get(0, 0)), std::string(res.get(0, 3)),
                                res.get_int64(0, 1)};
      out.acquired_at = res.get(0, 2);
      return out;
    }
    out.why = describe_holder(conn, opt.cluster);
  } catch (const pg::DbError& e) {
    if (!is_lock_timeout(e)) throw;
    conn.exec_sql("ROLLBACK TO SAVEPOINT gate");
    out.why = fmt::format("lease row locked for more than {} ms (a running or frozen load)", opt.lock_timeout_ms);
  }
  return out;
}

void write_stream(const ndjson::Lease& lease) {
  ndjson::RecordWriter w;
  ndjson::JsonBuf rec;
  ndjson::write_lease(rec, lease);
  w.record(rec);
  w.finish();
}

}  // namespace

int gate(const GateOptions& opt) {
  auto conn = pg::Connection::open(opt.dsn, "sync-lease");
  pg::Transaction tx(conn);
  scope(tx, opt.cluster, opt.lock_timeout_ms);
  conn.exec_params(kHeartbeatSql,
                   {pg::Param::text(opt.cluster), pg::Param::text(opt.node), pg::Param::text(cli::local_hostname())});
  Outcome out = try_lease(conn, opt);
  tx.commit();
  if (!out.lease) {
    log::info("{}: standby for cluster {}: {}", opt.node, opt.cluster, out.why);
    return exit_code::kStandby;
  }
  log::info("{}: leader of cluster {}, epoch {}, acquired {}, expires {}", opt.node, opt.cluster,
            out.lease->epoch, out.acquired_at, out.lease->expires_at);
  try {
    end_older_writers(conn, opt.cluster, out.lease->epoch, opt.lock_timeout_ms);
  } catch (const pg::DbError& e) {
    log::warn("{}: could not end the loads of older epochs (a frozen one may hold locks until the server ends it): {}",
              opt.node, e.what());
  }
  write_stream(*out.lease);
  return exit_code::kOk;
}

}  // namespace syncpipe::lease
