#include "fence.hpp"

#include <fmt/format.h>

#include "cli/writer_tag.hpp"
#include "core/error.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::load {

namespace {

constexpr const char* kFencedState = "SPF11";  // raised by kFinalCheck, nowhere else

// The guard sent with COMMIT (pg::Transaction::commit). Fixed text: the lease
// comes from the settings scope_write() made. The lock is taken before the
// clock is read, so a takeover whose UPDATE got the row first is seen here,
// and one that comes later waits for this COMMIT; its own reading of the
// clock, past our expiry, is later than ours.
constexpr const char* kFinalCheck = R"(DO $fence$
DECLARE
  c text := current_setting('syncpipe.lease_cluster');
  e bigint;
  h text;
  live boolean;
BEGIN
  PERFORM FROM sync_metadata.leader_election WHERE cluster_id = c FOR SHARE;
  SELECT epoch, holder, expires_at > clock_timestamp() INTO e, h, live
    FROM sync_metadata.leader_election WHERE cluster_id = c;
  IF e IS DISTINCT FROM current_setting('syncpipe.lease_epoch')::bigint
     OR h IS DISTINCT FROM current_setting('syncpipe.lease_holder') OR live IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = 'SPF11', MESSAGE = format(
      'lease epoch %s of %s on cluster %s is no longer current (now epoch %s, holder %s, %s)',
      current_setting('syncpipe.lease_epoch'), current_setting('syncpipe.lease_holder'), c,
      coalesce(e::text, 'none'), coalesce(h, 'none'), CASE WHEN live THEN 'valid' ELSE 'expired' END);
  END IF;
END
$fence$)";

std::string describe(const ndjson::Lease& l, const std::string& epoch, const std::string& holder, bool live) {
  return fmt::format("lease epoch {} of {} on cluster {} is no longer current (now epoch {}, holder {}, {})", l.epoch,
                     l.holder, l.cluster, epoch, holder, live ? "valid" : "expired");
}

}  // namespace

void scope_write(pg::Connection& conn, const ndjson::Header& header, const std::optional<ndjson::Lease>& lease,
                 int idle_timeout_s) {
  std::string sql = "SELECT set_config('syncpipe.host_id', $1, true)";
  std::vector<pg::Param> p{pg::Param::text(header.host)};
  auto add = [&](const char* name, std::string value) {
    p.push_back(pg::Param::text(std::move(value)));
    sql += fmt::format(", set_config('{}', ${}, true)", name, p.size());
  };
  if (lease) {
    add("application_name", cli::writer_tag(lease->cluster, lease->epoch));
    add("syncpipe.lease_cluster", lease->cluster);
    add("syncpipe.lease_holder", lease->holder);
    add("syncpipe.lease_epoch", std::to_string(lease->epoch));
  }
  if (idle_timeout_s > 0) add("idle_in_transaction_session_timeout", std::to_string(idle_timeout_s * 1000));
  conn.exec_params(sql, p);
}

void check_fence(pg::Connection& conn, const std::optional<ndjson::Lease>& lease) {
  if (!lease) return;
  auto r = conn.exec_params(
      "SELECT epoch, holder, expires_at > clock_timestamp() FROM sync_metadata.leader_election WHERE cluster_id = $1",
      {pg::Param::text(lease->cluster)});
  if (r.ntuples() != 1) throw FencedError(fmt::format("cluster {} has no lease row", lease->cluster));
  bool live = r.get(0, 2) == "t";
  if (r.get_int64(0, 0) != lease->epoch || r.get(0, 1) != lease->holder || !live)
    throw FencedError(describe(*lease, std::string(r.get(0, 0)), std::string(r.get(0, 1)), live));
}

void commit_fenced(pg::Transaction& tx, const std::optional<ndjson::Lease>& lease) {
  if (!lease) return tx.commit();
  try {
    tx.commit(kFinalCheck);
  } catch (const pg::DbError& e) {
    if (e.sqlstate() == kFencedState) throw FencedError(e.primary());
    throw;
  }
}

}  // namespace syncpipe::load
