// sync-jobs fail and request: a failed run recorded with its cause, and an
// operator's request to sync tenants now (sync-jobs(1)).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ndjson/protocol.hpp"

namespace syncpipe::jobs {

struct FailOptions {
  std::string dsn, client, error;
  std::int64_t after = 0;  // jobs with a larger id belong to the failed run
  ndjson::Lease lease;
};

// Fenced: marks the run's jobs still 'running' as failed with the error, or,
// when the run left no failed job (it failed before sync-load wrote one),
// inserts one. Returns exit_code::kOk.
int fail(const FailOptions& opt);

struct RequestOptions {
  std::string dsn, cluster;
  std::vector<std::string> clients;  // empty: every enabled tenant of the cluster
};

// Sets sync_requested_at for the tenants; throws UsageError naming a client
// that is not an enabled tenant of the cluster.
int request(const RequestOptions& opt);

}  // namespace syncpipe::jobs
