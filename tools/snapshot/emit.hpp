// Writes the records of one consistent SQLite snapshot: a table record, the
// rows with their key and row hashes, and a table_end per table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace syncpipe::sqlite {
class Database;
}
namespace syncpipe::ndjson {
class RecordWriter;
}

namespace syncpipe::snapshot {

struct TablePlan;
class SkipHint;

struct EmitStats {
  std::uint64_t tables = 0, rows = 0;
};

// The sqlite_schema record: every sqlite_master object and user_version.
// REQUIRES: the read transaction is open (the schema of the same snapshot).
void emit_sqlite_schema(sqlite::Database& db, ndjson::RecordWriter& out);

// REQUIRES: a read transaction is open on db, so every table is read from the
// same snapshot. A row whose record would exceed max_record bytes throws
// InputError (no later stage could read it). With a hint (--skip-unchanged),
// a row the hint skips is only hashed, never encoded, and the hint's summary
// records precede the table_end (whose "rows" counts the rows written).
void emit_table(sqlite::Database& db, const TablePlan& plan, ndjson::RecordWriter& out, EmitStats& stats,
                std::size_t max_record, SkipHint* hint = nullptr);

}  // namespace syncpipe::snapshot
