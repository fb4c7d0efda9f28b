// sync-load --provision: creates (or extends after an Open WebUI upgrade) the
// tenant's schema and tables from a snapshot stream, grants them to
// sync_service and registers the tenant. Needs admin credentials. Nothing is
// written until the whole stream has been read and its trailer verified;
// everything is then done in one transaction.
#pragma once

#include <string>

namespace syncpipe::load {

struct ProvisionOptions {
  std::string dsn;
  std::size_t max_record = 0;
  std::string service_role = "sync_service";
  bool lz4 = true;  // lz4 TOAST compression where the server has it
};

int provision(const ProvisionOptions& opt);

}  // namespace syncpipe::load
