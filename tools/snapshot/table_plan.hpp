// How sync-snapshot reads one SQLite table: its columns as the protocol's
// table record, the row key and where that key came from (sync-protocol(7),
// "table"), and the SELECT that reads the rows.
#pragma once

#include <cstdint>
#include <string>

#include "core/hash.hpp"

#include "ndjson/protocol.hpp"

namespace syncpipe::sqlite {
class Database;
}

namespace syncpipe::snapshot {

using ndjson::kRowContentColumn;
using ndjson::kRowidColumn;

struct TablePlan {
  ndjson::TableSchema schema;
  std::string select_sql;
  // key_source "row_content": the last column is not read from SQLite (the
  // SELECT yields NULL there) but computed by row_content_key() per row, and
  // the SELECT orders identical rows next to each other.
  bool row_content_key = false;
};

// Key choice: the PRIMARY KEY; else the smallest plain unique index over NOT
// NULL columns (peewee-born files before v0.9.6 have `<table>_id`); else the
// rowid, as an extra column; else (every rowid name shadowed by a column) the
// row's content, as an extra column (see row_content_key).
TablePlan plan_table(sqlite::Database& db, const std::string& table);

// The row-content key of a row: "<row hash of the other columns>-<n>", n
// counting identical rows from 1 (rows arrive sorted, so identical rows are
// neighbours). `last` and `n` carry the state from one row to the next.
std::string row_content_key(const Hash128& content, Hash128& last, std::uint64_t& n);

}  // namespace syncpipe::snapshot
