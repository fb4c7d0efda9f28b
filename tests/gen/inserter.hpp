// One prepared INSERT per table, reused for every row.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sqlite/statement.hpp"
#include "values.hpp"

namespace syncpipe::sqlite {
class Database;
}

namespace syncpipe::gen {

class Inserter {
 public:
  // `verb` is "INSERT", "INSERT OR IGNORE" or "INSERT OR REPLACE".
  // REQUIRES: `db` and `table` outlive the inserter.
  Inserter(sqlite::Database& db, const TableInfo& table, std::string_view verb);

  // Returns false when the row was ignored (a unique key already taken).
  bool insert(const std::vector<Value>& row);
  std::int64_t inserted() const { return inserted_; }
  const TableInfo& table() const { return *table_; }

 private:
  sqlite::Database* db_;
  const TableInfo* table_;
  sqlite::Statement st_;
  std::int64_t inserted_ = 0;
};

}  // namespace syncpipe::gen
