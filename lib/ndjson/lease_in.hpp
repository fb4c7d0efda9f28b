// Reading the lease stream of `sync-lease gate` (a lease record, then the
// trailer) from a file descriptor: what sync-snapshot and sync-jobs take on
// stdin in a lease-gated run.
#pragma once

#include <cstddef>
#include <string>

#include "ndjson/protocol.hpp"

namespace syncpipe::ndjson {

struct LeaseIn {
  Lease lease;
  std::string line;  // the lease record as read, to forward byte for byte (unknown fields survive)
};

// Reads the whole stream; throws InputError naming what was expected (with
// `hint`, e.g. the option for a run without a lease) when it is not a lease.
LeaseIn read_lease_stream(int fd, std::size_t max_record, const std::string& hint);

}  // namespace syncpipe::ndjson
