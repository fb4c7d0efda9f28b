#include "pg/fence.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "pg/connection.hpp"

namespace syncpipe::pg {

void check_fence(Connection& conn, const Fence& fence) {
  auto r = conn.exec_params(
      "SELECT epoch, holder, expires_at > clock_timestamp() FROM sync_metadata.leader_election "
      "WHERE cluster_id = $1 FOR SHARE",
      {Param::text(fence.cluster)});
  if (r.ntuples() != 1) throw FencedError(fmt::format("cluster {} has no lease row", fence.cluster));
  auto epoch = r.get_int64(0, 0);
  if (epoch != fence.epoch || r.get(0, 1) != fence.holder || r.get(0, 2) != "t")
    throw FencedError(fmt::format("lease epoch {} of {} on cluster {} is no longer current (now epoch {}, holder {})",
                                  fence.epoch, fence.holder, fence.cluster, epoch, r.get(0, 1)));
}

}  // namespace syncpipe::pg
