// The source's sqlite_master, kept in sync_metadata.source_schema (and its
// user_version in client_deployments.source_user_version) for restore
// (sql/008_source_schema.sql). Written by sync-load --provision, refreshed by
// every load whose stream carries it (sql/012_source_schema_current.sql).
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

// As sync_service in a load's last transaction: makes the captured schema
// the stream's, through sync_metadata.refresh_source_schema (sql/012), so a
// restore after an Open WebUI upgrade has its new tables and columns.
// Returns true when it changed. Throws as store_source_schema.
bool refresh_source_schema(pg::Connection& c, const std::string& client, const ndjson::SqliteSchema& s);

}  // namespace syncpipe::load
