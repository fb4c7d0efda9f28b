#include "sqlite/schema.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "sqlite/database.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::sqlite {

namespace {

std::string text_of(const Statement& st, int i) { return std::string(st.column_text(i)); }

std::vector<IndexColumn> index_key_columns(Database& db, const std::string& index) {
  Statement st(db,
               "SELECT cid, name, \"desc\" FROM pragma_index_xinfo(?1, 'main') WHERE key = 1 "
               "ORDER BY seqno",
               "index_xinfo");
  st.bind(1, std::string_view(index));
  std::vector<IndexColumn> columns;
  while (st.step()) {
    IndexColumn c;
    c.is_expression = st.column_int64(0) == -2;
    if (st.column_type(1) != ColumnType::Null) c.name = text_of(st, 1);
    c.desc = st.column_int64(2) != 0;
    columns.push_back(std::move(c));
  }
  return columns;
}

}  // namespace

bool UniqueIndex::has_expression() const {
  return std::any_of(columns.begin(), columns.end(),
                     [](const IndexColumn& c) { return c.is_expression; });
}

std::vector<std::string> list_tables(Database& db) {
  Statement st(db,
               "SELECT name FROM sqlite_master WHERE type = 'table' "
               "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
               "sqlite_master");
  std::vector<std::string> names;
  while (st.step()) names.push_back(text_of(st, 0));
  return names;
}

std::vector<MasterEntry> master_entries(Database& db) {
  Statement st(db, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid", "sqlite_master");
  std::vector<MasterEntry> out;
  while (st.step()) {
    MasterEntry e{text_of(st, 0), text_of(st, 1), text_of(st, 2), std::nullopt};
    if (st.column_type(3) != ColumnType::Null) e.sql = text_of(st, 3);
    out.push_back(std::move(e));
  }
  return out;
}

std::int64_t user_version(Database& db) {
  Statement st(db, "PRAGMA user_version", "user_version");
  return st.step() ? st.column_int64(0) : 0;
}

std::vector<Column> table_columns(Database& db, std::string_view table) {
  const bool xinfo = sqlite3_libversion_number() >= 3026000;
  Statement st(db,
               xinfo ? "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
                       "FROM pragma_table_xinfo(?1, 'main') ORDER BY cid"
                     : "SELECT name, type, \"notnull\", dflt_value, pk, 0 "
                       "FROM pragma_table_info(?1, 'main') ORDER BY cid",
               std::string(table));
  st.bind(1, table);
  std::vector<Column> columns;
  while (st.step()) {
    Column c{text_of(st, 0),
             text_of(st, 1),
             st.column_int64(2) != 0,
             static_cast<int>(st.column_int64(4)),
             std::nullopt,
             static_cast<int>(st.column_int64(5))};
    if (st.column_type(3) != ColumnType::Null) c.default_value = text_of(st, 3);
    columns.push_back(std::move(c));
  }
  return columns;
}

std::vector<UniqueIndex> unique_indexes(Database& db, std::string_view table) {
  Statement st(db,
               "SELECT name, origin, partial FROM pragma_index_list(?1, 'main') "
               "WHERE \"unique\" = 1 ORDER BY origin <> 'pk', name",
               std::string(table));
  st.bind(1, table);
  std::vector<UniqueIndex> result;
  while (st.step()) {
    result.push_back(UniqueIndex{text_of(st, 0), text_of(st, 1), st.column_int64(2) != 0, {}});
  }
  for (UniqueIndex& index : result) index.columns = index_key_columns(db, index.name);
  return result;
}

bool has_rowid(Database& db, std::string_view table) {
  if (sqlite3_libversion_number() >= 3037000) {
    Statement st(db, "SELECT wr FROM pragma_table_list(?1) WHERE schema = 'main'",
                 std::string(table));
    st.bind(1, table);
    return !st.step() || st.column_int64(0) == 0;
  }
  // Older SQLite: a WITHOUT ROWID table is the only one whose primary key is
  // listed by index_xinfo under the table's own name.
  Statement st(db, "SELECT count(*) FROM pragma_index_xinfo(?1, 'main')", std::string(table));
  st.bind(1, table);
  return !st.step() || st.column_int64(0) == 0;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

}  // namespace syncpipe::sqlite
