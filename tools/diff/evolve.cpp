#include "evolve.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/typemap.hpp"
#include "ndjson/json_out.hpp"
#include "pg/connection.hpp"
#include "pg/error.hpp"
#include "pg/transaction.hpp"
#include "target.hpp"

namespace syncpipe::diff {

namespace {

// The type provisioning would choose for a column of a table with no rows.
std::string new_column_type(const ndjson::Column& c) { return pg_type_name(choose_pg_type(c.decl, c.name, {})); }

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return "(" + out + ")";
}

}  // namespace

Evolver::Evolver(std::string dsn, const ndjson::Header& header) : dsn_(std::move(dsn)), header_(header) {}
Evolver::~Evolver() = default;

std::optional<std::string> Evolver::fit(const ndjson::TableSchema& src, Target& target) {
  if (!target.columns(src.name)) {
    create_table(src, target);
    return std::nullopt;
  }
  if (auto why = mismatch(src, target)) {
    call("SELECT sync_metadata.note_schema_change($1, $2, NULL, 'table_stopped', $3)",
         {header_.client, src.name, *why});
    return why;
  }
  add_columns(src, target);
  note_dropped(src, target);
  return std::nullopt;
}

// A key change, or a column whose declared type cannot map to its PostgreSQL type.
std::optional<std::string> Evolver::mismatch(const ndjson::TableSchema& src, const Target& target) const {
  auto pk = target.primary_key(src.name);
  if (pk != src.key)
    return fmt::format("the key changed from {} in PostgreSQL to {} in the source", join(pk), join(src.key));
  const auto& cols = *target.columns(src.name);
  for (const auto& c : src.columns) {
    auto it = cols.find(c.name);
    if (it == cols.end()) continue;  // new: added
    auto have = parse_pg_type(it->second);
    if (have && !could_choose_pg_type(c.decl, c.name, *have))
      return fmt::format("column {} is now declared {}, which does not map to its PostgreSQL type {}", c.name,
                         c.decl.empty() ? "without a type" : c.decl, it->second);
  }
  return std::nullopt;
}

void Evolver::create_table(const ndjson::TableSchema& src, Target& target) {
  ndjson::JsonBuf cols;
  std::vector<std::pair<std::string, std::string>> types;
  cols.open_array();
  for (const auto& c : src.columns) {
    types.emplace_back(c.name, new_column_type(c));
    cols.comma().open().key("name").string(c.name).key("type").string(types.back().second).close();
  }
  cols.close_array();
  ndjson::JsonBuf key;  // a JSON array, turned into the function's text[] below
  key.open_array();
  for (const auto& k : src.key) key.comma().string(k);
  key.close_array();
  bool created = call("SELECT sync_metadata.add_table($1, $2, $3::jsonb, "
                      "ARRAY(SELECT jsonb_array_elements_text($4::jsonb)))",
                      {header_.client, src.name, cols.str(), key.str()});
  if (created) log::info("{}: new table {} created in schema {} (key {})", header_.client, src.name, header_.schema,
                         join(src.key));
  target.add_columns(src.name, types);
  if (!created) throw RuntimeError(fmt::format("table {} of tenant {} appeared in schema {} while this run "
                                               "added it (another run?); the next run uses it", src.name,
                                               header_.client, header_.schema));
}

void Evolver::add_columns(const ndjson::TableSchema& src, Target& target) {
  const auto& cols = *target.columns(src.name);
  std::vector<std::pair<std::string, std::string>> added;
  for (const auto& c : src.columns) {
    if (cols.count(c.name)) continue;
    added.emplace_back(c.name, new_column_type(c));
    if (call("SELECT sync_metadata.add_column($1, $2, $3, $4)", {header_.client, src.name, c.name, added.back().second}))
      log::info("{}: new column {}.{} ({}) added in schema {}", header_.client, src.name, c.name,
                added.back().second, header_.schema);
  }
  if (!added.empty()) target.add_columns(src.name, added);
}

// PostgreSQL columns the source no longer has: kept, NULL in new rows.
void Evolver::note_dropped(const ndjson::TableSchema& src, const Target& target) {
  for (const auto& column : *target.columns(src.name)) {
    const std::string& name = column.first;  // not a structured binding: clang 14 cannot capture one
    bool in_source = std::any_of(src.columns.begin(), src.columns.end(), [&](auto& c) { return c.name == name; });
    if (in_source) continue;
    if (call("SELECT sync_metadata.note_schema_change($1, $2, $3, 'column_dropped', NULL)",
             {header_.client, src.name, name}))
      log::warn("{}: column {}.{} is no longer in the source: it stays in PostgreSQL, with NULL in new rows",
                header_.client, src.name, name);
  }
}

bool Evolver::call(const std::string& sql, const std::vector<std::string>& args) {
  try {
    if (!conn_) conn_ = std::make_unique<pg::Connection>(pg::Connection::open(dsn_, "sync-diff"));
    pg::Transaction tx(*conn_);
    tx.set_local("syncpipe.host_id", header_.host);
    std::vector<pg::Param> params;
    for (const auto& a : args) params.push_back(pg::Param::text(a));
    auto r = conn_->exec_params(sql, params);
    tx.commit();
    return r.ntuples() == 1 && r.get(0, 0) == "t";
  } catch (const pg::DbError& e) {
    throw RuntimeError(fmt::format("tenant {}: schema change refused: {} (is sql/010_schema_evolution.sql applied?)",
                                   header_.client, e.what()));
  }
}

}  // namespace syncpipe::diff
