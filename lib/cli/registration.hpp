// The tenant a stream may write: its row in sync_metadata.client_deployments.
// sync-diff and sync-load accept a stream only for the schema and host that
// row registers, so a header naming another tenant's schema cannot move
// rows into it (sync-load(1), DESCRIPTION).
#pragma once

#include <cstdint>
#include <string>

namespace syncpipe::ndjson {
struct Header;
}
namespace syncpipe::pg {
class Connection;
}

namespace syncpipe::cli {

struct Registration {
  std::int64_t generation = 0;
  std::string schema;  // client_deployments.schema_name
};

// The header's client as registered for the header's host. REQUIRES: inside
// a transaction whose syncpipe.host_id is header.host (row-level security
// hides other hosts' tenants, so a wrong host reads as not provisioned).
// Throws InputError (exit 65: the stream is not for this database) when the
// tenant is not provisioned for that host or the header names another schema.
Registration check_registration(pg::Connection& conn, const ndjson::Header& header);

}  // namespace syncpipe::cli
