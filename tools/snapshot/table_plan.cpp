#include "table_plan.hpp"

#include <algorithm>
#include <cctype>
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

bool same_name(std::string_view a, std::string_view b) {  // SQLite compares names ASCII case-insensitively
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool has_column(const std::vector<ndjson::Column>& cols, std::string_view name, bool any_case) {
  return std::any_of(cols.begin(), cols.end(),
                     [&](auto& c) { return any_case ? same_name(c.name, name) : c.name == name; });
}

// The first name of the rowid that no column shadows, or "" when all do.
std::string rowid_alias(const std::vector<ndjson::Column>& cols) {
  for (const char* alias : {"rowid", "_rowid_", "oid"})
    if (!has_column(cols, alias, true)) return alias;
  return "";
}

// The synthetic last column: the rowid under `alias`, or NULL for a
// row-content key, whose rows are then sorted so identical ones are adjacent
// (by storage class, then bytes: BINARY, not the columns' own collations).
std::string select_sql(const ndjson::TableSchema& s, bool synthetic, const std::string& alias) {
  std::string sql = "SELECT ", order;
  const std::size_t own = s.columns.size() - (synthetic ? 1 : 0);
  for (std::size_t i = 0; i < own; ++i) {
    auto q = sqlite::quote_identifier(s.columns[i].name);
    sql += (i ? ", " : "") + q;
    order += (i ? ", typeof(" : "typeof(") + q + "), " + q + " COLLATE BINARY";
  }
  if (synthetic) sql += ", " + (alias.empty() ? std::string("NULL") : alias);
  sql += " FROM main." + sqlite::quote_identifier(s.name);
  return synthetic && alias.empty() ? sql + " ORDER BY " + order : sql;
}

// Neither a primary key nor a usable unique index: an extra, last column
// that is the key (the rowid, or else the row's content).
void add_synthetic_key(sqlite::Database& db, TablePlan& p, const std::string& alias) {
  const char* name = alias.empty() ? kRowContentColumn : kRowidColumn;
  if (has_column(p.schema.columns, name, false))
    throw InputError(db.path() + ": table \"" + p.schema.name + "\" already has a column named " + name);
  if (alias.empty()) {
    p.schema.columns.push_back({name, "TEXT", true, 1, std::nullopt});
    p.schema.key_source = "row_content";
    p.row_content_key = true;
  } else {
    p.schema.columns.push_back({name, "INTEGER", true, 1, std::nullopt});
    p.schema.key_source = "rowid";
  }
  p.schema.key = {name};
}

}  // namespace

TablePlan plan_table(sqlite::Database& db, const std::string& table) {
  TablePlan p;
  p.schema.name = table;
  p.schema.columns = read_columns(db, table);
  p.schema.key = primary_key(p.schema.columns);
  p.schema.key_source = "primary_key";
  bool synthetic = false;
  const std::string alias = rowid_alias(p.schema.columns);
  if (p.schema.key.empty()) {
    if (auto idx = best_unique_index(db, table, p.schema.columns)) {
      for (auto& ic : idx->columns) p.schema.key.push_back(ic.name);
      p.schema.key_source = "unique_index:" + idx->name;
    } else {
      synthetic = true;
      add_synthetic_key(db, p, alias);
    }
  }
  for (const auto& k : p.schema.key) {
    auto it = std::find_if(p.schema.columns.begin(), p.schema.columns.end(), [&](auto& c) { return c.name == k; });
    p.schema.key_index.push_back(static_cast<std::size_t>(it - p.schema.columns.begin()));
  }
  p.select_sql = select_sql(p.schema, synthetic, alias);
  return p;
}

std::string row_content_key(const Hash128& content, Hash128& last, std::uint64_t& n) {
  n = n > 0 && content == last ? n + 1 : 1;
  last = content;
  return content.hex() + "-" + std::to_string(n);
}

}  // namespace syncpipe::snapshot
