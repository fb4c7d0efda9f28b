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

struct EmitStats {
  std::uint64_t tables = 0, rows = 0;
};

// REQUIRES: a read transaction is open on db, so every table is read from the
// same snapshot. A row whose record would exceed max_record bytes throws
// InputError (no later stage could read it).
void emit_table(sqlite::Database& db, const TablePlan& plan, ndjson::RecordWriter& out, EmitStats& stats,
                std::size_t max_record);

}  // namespace syncpipe::snapshot
