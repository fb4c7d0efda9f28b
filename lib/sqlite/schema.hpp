// Schema introspection of the `main` database of a connection. Table names
// travel as bound parameters to the PRAGMA table-valued functions, so names
// with quotes, semicolons or newlines are safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syncpipe::sqlite {

class Database;

struct Column {
  std::string name;
  std::string declared_type;  // as written in CREATE TABLE, may be empty
  bool notnull = false;
  int pk = 0;                                // 1-based position in the primary key, 0 if not part
  std::optional<std::string> default_value;  // SQL text of the DEFAULT, if any
  int hidden = 0;  // table_xinfo: 0 normal, 1 virtual-table hidden, 2/3 generated
};

struct IndexColumn {
  std::string name;  // empty for an expression
  bool is_expression = false;
  bool desc = false;
};

struct UniqueIndex {
  std::string name;
  std::string origin;                // "pk", "u" (UNIQUE constraint) or "c" (CREATE INDEX)
  bool partial = false;              // has a WHERE clause
  std::vector<IndexColumn> columns;  // key columns in index order

  // Callers that need a plain column key skip such indexes.
  bool has_expression() const;
};

// One row of sqlite_master: every table, index, view and trigger, with the
// SQL text that created it (NULL for the automatic sqlite_autoindex_*).
struct MasterEntry {
  std::string type, name, tbl_name;
  std::optional<std::string> sql;
};

// Every sqlite_master row in rowid order (the order SQLite created them).
std::vector<MasterEntry> master_entries(Database& db);
// PRAGMA user_version.
std::int64_t user_version(Database& db);

// User tables (type='table', not sqlite_*), ordered by name (BINARY).
std::vector<std::string> list_tables(Database& db);
// Columns in declaration order (PRAGMA table_xinfo, or table_info on SQLite
// older than 3.26). Empty if the table does not exist.
std::vector<Column> table_columns(Database& db, std::string_view table);
// Every unique index of the table in index_list order, including the one
// backing the PRIMARY KEY of a rowid table with a non-INTEGER key.
std::vector<UniqueIndex> unique_indexes(Database& db, std::string_view table);
// False for a WITHOUT ROWID table.
bool has_rowid(Database& db, std::string_view table);
// "name" with embedded double quotes doubled, for SQL text.
std::string quote_identifier(std::string_view name);

}  // namespace syncpipe::sqlite
