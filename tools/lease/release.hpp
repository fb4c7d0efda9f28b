// sync-lease release: give the lease up early (sync-lease(1)).
#pragma once

#include <string>

namespace syncpipe::lease {

struct ReleaseOptions {
  std::string cluster, node, dsn;
  int lock_timeout_ms = 2000;
};

// Ends our unexpired lease now (expires_at = released_at = the database
// clock; the row stays). Exit kOk also when we did not hold it.
int release(const ReleaseOptions& opt);

}  // namespace syncpipe::lease
