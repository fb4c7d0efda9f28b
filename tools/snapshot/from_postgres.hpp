// sync-snapshot --from-postgres: the tenant as PostgreSQL holds it, written
// in the record protocol of a snapshot (header, sqlite_schema, tables, rows
// with kh/h, trailer), so sync-load --to-sqlite can rebuild its file
// (sync-snapshot(1), RESTORE). Runs as sync_service with SELECT only, in one
// read-only REPEATABLE READ transaction.
#pragma once

#include <cstddef>
#include <string>

namespace syncpipe::snapshot {

struct FromPgOptions {
  std::string dsn, client, host, stream_id, created_at;
  std::size_t max_record = 0;
};

int run_from_postgres(const FromPgOptions& opt);

}  // namespace syncpipe::snapshot
