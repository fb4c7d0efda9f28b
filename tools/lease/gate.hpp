// sync-lease gate: acquire or renew the cluster lease (sync-lease(1)).
#pragma once

#include <string>

namespace syncpipe::lease {

struct GateOptions {
  std::string cluster, node, dsn;
  double ttl_seconds = 20;
  int lock_timeout_ms = 2000;
};

// Exit status: kOk after writing the lease stream to stdout, kStandby (and
// nothing on stdout) when another node holds the lease or its row is locked.
int gate(const GateOptions& opt);

}  // namespace syncpipe::lease
