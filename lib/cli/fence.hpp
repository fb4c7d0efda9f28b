// The lease record of a run (ndjson::Lease) as the fence its writes check
// (pg::check_fence): here because lib/cli is the layer that sees both.
#pragma once

#include <optional>

#include "ndjson/protocol.hpp"
#include "pg/fence.hpp"

namespace syncpipe::cli {

inline pg::Fence fence_of(const ndjson::Lease& l) { return {l.cluster, l.holder, l.epoch}; }

// Throws FencedError unless `lease` is current (pg::check_fence); no lease:
// an ad-hoc run, explicitly asked for, nothing to check.
inline void check_fence(pg::Connection& conn, const std::optional<ndjson::Lease>& lease) {
  if (lease) pg::check_fence(conn, fence_of(*lease));
}

}  // namespace syncpipe::cli
