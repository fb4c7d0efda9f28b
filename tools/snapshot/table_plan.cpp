#include "table_plan.hpp"

#include <algorithm>
#include <optional>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "core/text_check.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"

namespace syncpipe::snapshot {

namespace {

std::vector<std::string> primary_key(const std::vector<ndjson::Column>& cols) {
  std::vector<const ndjson::Column*> pk;
  for (const auto& c : cols)
    if (c.pk > 0) pk.push_back(&c);
  std::sort(pk.begin(), pk.end(), [](auto* a, auto* b) { return a->pk < b->pk; });
  std::vector<std::string> names;
  for (auto* c : pk) names.push_back(c->name);
  return names;
}

bool all_not_null(const sqlite::UniqueIndex& idx, const std::vector<ndjson::Column>& cols) {
  return std::all_of(idx.columns.begin(), idx.columns.end(), [&](const sqlite::IndexColumn& ic) {
    auto it = std::find_if(cols.begin(), cols.end(), [&](auto& c) { return c.name == ic.name; });
    return it != cols.end() && it->notnull;
  });
}

std::optional<sqlite::UniqueIndex> best_unique_index(sqlite::Database& db, const std::string& table,
                                                     const std::vector<ndjson::Column>& cols) {
  std::optional<sqlite::UniqueIndex> best;
  for (auto& idx : sqlite::unique_indexes(db, table)) {
    if (idx.partial || idx.has_expression() || !all_not_null(idx, cols)) continue;
    if (!best || idx.columns.size() < best->columns.size() ||
        (idx.columns.size() == best->columns.size() && idx.name < best->name))
      best = idx;
  }
  return best;
}

// Names travel as JSON strings, which must be valid UTF-8.
void check_name(sqlite::Database& db, const std::string& table, const std::string& name) {
  if (!valid_utf8(name))
    throw InputError(db.path() + ": table or column name is not valid UTF-8 (hex " + hex_encode(name) +
                     (name == table ? ")" : ", in table hex " + hex_encode(table) + ")"));
}

std::vector<ndjson::Column> read_columns(sqlite::Database& db, const std::string& table) {
  check_name(db, table, table);
  std::vector<ndjson::Column> out;
  for (auto& c : sqlite::table_columns(db, table)) {
    if (c.hidden == 1) continue;  // virtual-table hidden columns are not data
    check_name(db, table, c.name);
    out.push_back({c.name, c.declared_type, c.notnull, c.pk, c.default_value});
  }
  if (out.empty()) throw InputError(db.path() + ": table \"" + table + "\" has no readable columns");
  return out;
}

std::string select_sql(const ndjson::TableSchema& s, bool with_rowid) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    if (i) sql += ", ";
    bool synthetic = with_rowid && i + 1 == s.columns.size();
    sql += synthetic ? std::string("_rowid_") : sqlite::quote_identifier(s.columns[i].name);
  }
  return sql + " FROM main." + sqlite::quote_identifier(s.name);
}

}  // namespace

TablePlan plan_table(sqlite::Database& db, const std::string& table) {
  TablePlan p;
  p.schema.name = table;
  p.schema.columns = read_columns(db, table);
  p.schema.key = primary_key(p.schema.columns);
  p.schema.key_source = "primary_key";
  bool rowid = false;
  if (p.schema.key.empty()) {
    if (auto idx = best_unique_index(db, table, p.schema.columns)) {
      for (auto& ic : idx->columns) p.schema.key.push_back(ic.name);
      p.schema.key_source = "unique_index:" + idx->name;
    } else {
      rowid = true;
      if (std::any_of(p.schema.columns.begin(), p.schema.columns.end(),
                      [](auto& c) { return c.name == kRowidColumn; }))
        throw InputError(db.path() + ": table \"" + table + "\" already has a column named " + kRowidColumn);
      p.schema.columns.push_back({kRowidColumn, "INTEGER", true, 1, std::nullopt});
      p.schema.key = {kRowidColumn};
      p.schema.key_source = "rowid";
    }
  }
  for (const auto& k : p.schema.key) {
    auto it = std::find_if(p.schema.columns.begin(), p.schema.columns.end(), [&](auto& c) { return c.name == k; });
    p.schema.key_index.push_back(static_cast<std::size_t>(it - p.schema.columns.begin()));
  }
  p.select_sql = select_sql(p.schema, rowid);
  return p;
}

}  // namespace syncpipe::snapshot
