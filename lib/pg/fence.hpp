// The fencing check every lease-gated write of syncpipe makes inside its
// transaction (sync-load(1), sync-jobs(1)). Plain values, not the lease
// record: lib/pg sits below lib/ndjson (lib/meson.build).
#pragma once

#include <cstdint>
#include <string>

namespace syncpipe::pg {

class Connection;

// The lease a run holds: the cluster's row in leader_election must still
// name this holder and epoch and be unexpired.
struct Fence {
  std::string cluster, holder;
  std::int64_t epoch = 0;
};

// Throws FencedError unless `fence` is current and unexpired. Takes a FOR
// SHARE lock on the lease row until the transaction ends, which a takeover
// must wait for.
// REQUIRES: an open transaction with syncpipe.host_id set.
void check_fence(Connection& conn, const Fence& fence);

}  // namespace syncpipe::pg
