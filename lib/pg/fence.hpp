// The fencing check every lease-gated write of syncpipe makes inside its
// transaction (sync-load(1), syncpipe-cycle(8)).
#pragma once

#include <optional>

#include "ndjson/protocol.hpp"

namespace syncpipe::pg {

class Connection;

// Throws FencedError unless `lease` is current and unexpired. Takes a FOR
// SHARE lock on the lease row until the transaction ends, which a takeover
// must wait for. No lease: an ad-hoc run, nothing to check.
// REQUIRES: an open transaction with syncpipe.host_id set.
void check_fence(Connection& conn, const std::optional<ndjson::Lease>& lease);

}  // namespace syncpipe::pg
