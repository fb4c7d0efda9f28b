#include "inserter.hpp"

#include <fmt/format.h>

#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"

namespace syncpipe::gen {

namespace {

std::string insert_sql(const TableInfo& t, std::string_view verb) {
  std::string names, marks;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (i > 0) names += ", ", marks += ", ";
    names += sqlite::quote_identifier(t.columns[i].name);
    marks += fmt::format("?{}", i + 1);
  }
  return fmt::format("{} INTO {}({}) VALUES ({})", verb, sqlite::quote_identifier(t.name), names,
                     marks);
}

}  // namespace

Inserter::Inserter(sqlite::Database& db, const TableInfo& table, std::string_view verb)
    : db_(&db), table_(&table), st_(db, insert_sql(table, verb), table.name) {}

bool Inserter::insert(const std::vector<Value>& row) {
  for (std::size_t i = 0; i < row.size(); ++i) bind_value(st_, static_cast<int>(i) + 1, row[i]);
  st_.step();
  st_.reset();
  bool done = db_->changes() > 0;
  inserted_ += done ? 1 : 0;
  return done;
}

}  // namespace syncpipe::gen
