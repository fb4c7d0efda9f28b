// Column values for generated rows, chosen by column NAME first (Open WebUI's
// conventions, NOTES.md) and by declared type otherwise, so a table or column
// this generator has never seen still gets a plausible value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sqlite/schema.hpp"

namespace syncpipe::sqlite {
class Database;
class Statement;
}  // namespace syncpipe::sqlite

namespace syncpipe::gen {

class World;
class Draw;

struct Blob {
  std::string bytes;
};
// monostate is SQL NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

struct TableInfo {
  std::string name;
  std::vector<sqlite::Column> columns;
  std::vector<bool> unique_alone;  // column is the only key column of a unique index
  bool integer_pk = false;         // "id INTEGER PRIMARY KEY" (rowid alias)

  int column_index(std::string_view column) const;  // -1 if absent
};

TableInfo load_table(sqlite::Database& db, const std::string& name);

// The value of column `c` in row `k` of table `t`.
Value column_value(const World& w, const TableInfo& t, const sqlite::Column& c, std::int64_t k);
// All columns of row k, in declaration order.
std::vector<Value> build_row(const World& w, const TableInfo& t, std::int64_t k);
void bind_value(sqlite::Statement& st, int index, const Value& v);

// Pieces used by the rules (values_*.cpp).
struct Cell {
  const World& w;
  const TableInfo& t;
  const sqlite::Column& c;
  std::int64_t k;
};
bool is_json_column(const sqlite::Column& c);
bool is_bool_column(const sqlite::Column& c);
bool is_time_column(std::string_view name);
Value json_value(const Cell& cell, Draw& d);
// `matched` tells whether the column name is one the rule knows.
Value text_value(const Cell& cell, Draw& d, bool& matched);
Value time_value(const Cell& cell, Draw& d);
Value reference_value(const Cell& cell, Draw& d, bool& matched);

}  // namespace syncpipe::gen
