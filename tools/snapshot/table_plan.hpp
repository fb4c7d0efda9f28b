// How sync-snapshot reads one SQLite table: its columns as the protocol's
// table record, the row key and where that key came from (sync-protocol(7),
// "table"), and the SELECT that reads the rows.
#pragma once

#include <string>

#include "ndjson/protocol.hpp"

namespace syncpipe::sqlite {
class Database;
}

namespace syncpipe::snapshot {

using ndjson::kRowidColumn;

struct TablePlan {
  ndjson::TableSchema schema;
  std::string select_sql;
};

// Key choice: the PRIMARY KEY; else the smallest plain unique index over NOT
// NULL columns (peewee-born files before v0.9.6 have `<table>_id`); else the
// rowid, as an extra column.
TablePlan plan_table(sqlite::Database& db, const std::string& table);

}  // namespace syncpipe::snapshot
