// The source's sqlite_master, kept in sync_metadata.source_schema (and its
// user_version in client_deployments.source_user_version) for restore
// (sql/008_source_schema.sql). Written by sync-load --provision.
#pragma once

#include <string>

#include "ndjson/protocol.hpp"

namespace syncpipe::pg {
class Connection;
}

namespace syncpipe::load {

// Replaces the client's captured schema with `s`. REQUIRES: inside the
// provisioning transaction, with syncpipe.host_id set to `host`, after the
// client's client_deployments row was written. Throws InputError for an
// object whose name or SQL text PostgreSQL cannot hold as text.
void store_source_schema(pg::Connection& c, const std::string& host, const std::string& client,
                         const ndjson::SqliteSchema& s);

}  // namespace syncpipe::load
