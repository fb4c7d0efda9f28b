// sync-lease show: the lease and each node's heartbeat (sync-lease(1)).
#pragma once

#include <string>

namespace syncpipe::lease {

struct ShowOptions {
  std::string cluster, dsn;
  bool json = false;
};

int show(const ShowOptions& opt);

}  // namespace syncpipe::lease
