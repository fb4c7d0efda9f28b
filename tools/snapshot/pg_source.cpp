#include "pg_source.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::snapshot {

PgSource::PgSource(pg::Connection& conn, const std::string& client, const std::string& host)
    : conn_(conn), client_(client), host_(host) {
  tx_ = std::make_unique<pg::Transaction>(conn_, pg::Isolation::kRepeatableRead);
  conn_.exec_sql("SET TRANSACTION READ ONLY");
  // What from_pg_text() requires, and the host for row-level security.
  conn_.exec_params("SELECT set_config('syncpipe.host_id', $1, true), set_config('extra_float_digits', '1', true), "
                    "set_config('bytea_output', 'hex', true)",
                    {pg::Param::text(host_)});
  read_registration();
  read_schema();
}

PgSource::~PgSource() = default;

void PgSource::read_registration() {
  auto r = conn_.exec_params(
      "SELECT schema_name, source_user_version FROM sync_metadata.client_deployments WHERE client_id = $1",
      {pg::Param::text(client_)});
  if (r.ntuples() == 0)
    throw RuntimeError(fmt::format("tenant {} is not provisioned on host {} (see --host)", client_, host_));
  schema_ = r.get(0, 0);
  captured_.user_version = r.is_null(0, 1) ? 0 : r.get_int64(0, 1);
  auto t = conn_.exec_params(
      "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
      "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
      {pg::Param::text(schema_)});
  for (int i = 0; i < t.ntuples(); ++i) types_[std::string(t.get(i, 0))][std::string(t.get(i, 1))] = t.get(i, 2);
}

void PgSource::read_schema() {
  auto r = conn_.exec_params(
      "SELECT type, name, tbl_name, sql FROM sync_metadata.source_schema WHERE client_id = $1 ORDER BY ordinal",
      {pg::Param::text(client_)});
  if (r.ntuples() == 0)
    throw RuntimeError(fmt::format("tenant {}: no source schema in sync_metadata.source_schema (provisioned before "
                                   "sql/008_source_schema.sql? provision it again from its file)",
                                   client_));
  for (int i = 0; i < r.ntuples(); ++i) {
    ndjson::SchemaObject o{std::string(r.get(i, 0)), std::string(r.get(i, 1)), std::string(r.get(i, 2)),
                           std::nullopt};
    if (!r.is_null(i, 3)) o.sql = std::string(r.get(i, 3));
    captured_.objects.push_back(std::move(o));
  }
}

void PgSource::unknown_table(const std::string& name) const {
  throw RuntimeError(fmt::format("tenant {}: table \"{}\" of schema {} is not in the captured source schema "
                                 "(sync_metadata.source_schema); its rows cannot be restored",
                                 client_, name, schema_));
}

std::vector<PgType> PgSource::types(const ndjson::TableSchema& table, bool may_be_absent) {
  auto it = types_.find(table.name);
  if (it == types_.end() && may_be_absent) return {};
  if (it == types_.end())
    throw RuntimeError(fmt::format("tenant {}: table \"{}\" of the source schema is not in schema {}", client_,
                                   table.name, schema_));
  std::vector<PgType> out;
  for (const auto& c : table.columns) {
    auto col = it->second.find(c.name);
    if (col == it->second.end())
      throw RuntimeError(fmt::format("tenant {}: column \"{}\" of table \"{}\" is not in schema {}", client_, c.name,
                                     table.name, schema_));
    auto t = parse_pg_type(col->second);
    if (!t)
      throw RuntimeError(fmt::format("tenant {}: column \"{}\" of table \"{}\" has type {}, which syncpipe does not "
                                     "map back to SQLite",
                                     client_, c.name, table.name, col->second));
    out.push_back(*t);
  }
  if (it->second.size() != table.columns.size())
    throw RuntimeError(fmt::format("tenant {}: table \"{}\" has {} columns in schema {} but {} in the source schema",
                                   client_, table.name, it->second.size(), schema_, table.columns.size()));
  return out;
}

std::vector<Quarantined> PgSource::quarantined(const std::string& table) {
  auto r = conn_.exec_params(
      "SELECT encode(key_hash, 'hex'), row_data FROM sync_metadata.quarantine "
      "WHERE client_id = $1 AND table_name = $2 AND resolved_at IS NULL",
      {pg::Param::text(client_), pg::Param::text(table)});
  std::vector<Quarantined> out;
  for (int i = 0; i < r.ntuples(); ++i) {
    if (r.is_null(i, 1))
      throw RuntimeError(fmt::format("tenant {}: table \"{}\": quarantined row {} has no row_data", client_, table,
                                     r.get(i, 0)));
    out.push_back({Hash128::from_hex(r.get(i, 0)), std::string(r.get(i, 1))});
  }
  return out;
}

HashMap PgSource::source_hashes(const std::string& table) {
  auto r = conn_.exec_params(
      "SELECT key_hash, src_hash FROM sync_metadata.row_state WHERE client_id = $1 AND table_name = $2",
      {pg::Param::text(client_), pg::Param::text(table)}, pg::Format::kBinary);
  HashMap out;
  out.reserve(static_cast<std::size_t>(r.ntuples()));
  for (int i = 0; i < r.ntuples(); ++i) out[Hash128::from_bytes(r.get(i, 0))] = Hash128::from_bytes(r.get(i, 1));
  return out;
}

}  // namespace syncpipe::snapshot
