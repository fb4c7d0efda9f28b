#include "pg/fence.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "pg/connection.hpp"

namespace syncpipe::pg {

void check_fence(Connection& conn, const std::optional<ndjson::Lease>& lease) {
  if (!lease) return;  // ad-hoc run, explicitly asked for
  auto r = conn.exec_params(
      "SELECT epoch, holder, expires_at > clock_timestamp() FROM sync_metadata.leader_election "
      "WHERE cluster_id = $1 FOR SHARE",
      {Param::text(lease->cluster)});
  if (r.ntuples() != 1) throw FencedError(fmt::format("cluster {} has no lease row", lease->cluster));
  auto epoch = r.get_int64(0, 0);
  if (epoch != lease->epoch || r.get(0, 1) != lease->holder || r.get(0, 2) != "t")
    throw FencedError(fmt::format("lease epoch {} of {} on cluster {} is no longer current (now epoch {}, holder {})",
                                  lease->epoch, lease->holder, lease->cluster, epoch, r.get(0, 1)));
}

}  // namespace syncpipe::pg
