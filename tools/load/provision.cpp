#include "provision.hpp"

#include <optional>

#include <algorithm>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/typemap.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/reader.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"
#include "source_schema.hpp"

namespace syncpipe::load {

namespace {

struct TableDraft {
  ndjson::TableSchema schema;
  std::vector<ClassStats> stats;
};

void check_name(std::string_view what, std::string_view name) {
  if (name.empty()) throw InputError(fmt::format("{} has an empty name", what));
  if (name.size() > 63)
    throw InputError(fmt::format("{} \"{}...\": name longer than 63 bytes (PostgreSQL would truncate it)", what,
                                 name.substr(0, 40)));
  if (name.find('\0') != std::string_view::npos) throw InputError(fmt::format("{}: NUL byte in name", what));
}

std::vector<TableDraft> read_stream(std::size_t max_record, ndjson::StreamHead& head,
                                    std::optional<ndjson::SqliteSchema>& captured) {
  ndjson::Reader in(0, "stdin", max_record);
  head = ndjson::read_head(in, nullptr);
  // Column types are chosen from the rows seen: a stream that left rows out cannot provision.
  if (head.header.skip_unchanged)
    in.fail(ndjson::every_row_refusal("sync-load --provision"));
  std::vector<TableDraft> tables;
  Row v;
  while (in.next()) {
    auto type = ndjson::record_type(in);
    if (type == ndjson::RecordType::SqliteSchema) {
      captured = ndjson::parse_sqlite_schema(in);
    } else if (type == ndjson::RecordType::Table) {
      auto s = ndjson::parse_table(in);
      check_name("table", s.name);
      for (auto& c : s.columns) check_name(fmt::format("column of table \"{}\"", s.name), c.name);
      tables.push_back({std::move(s), {}});
      tables.back().stats.resize(tables.back().schema.columns.size());
    } else if (type == ndjson::RecordType::Row) {
      if (tables.empty() || ndjson::parse_row(in).table != tables.back().schema.name) in.fail("row outside its table");
      ndjson::row_values(in, v);
      auto& st = tables.back().stats;
      if (v.size() != st.size()) in.fail("row has a different number of values than its table has columns");
      for (std::size_t i = 0; i < v.size(); ++i) st[i].add(v[i]);
    }
  }
  return tables;
}

bool has_lz4(pg::Connection& c) {
  auto r = c.exec_sql("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'");
  return r.ntuples() == 1 && r.get(0, 0) == "t";
}

std::string column_def(pg::Connection& c, const ndjson::Column& col, PgType t, bool lz4) {
  std::string def = c.quote_ident(col.name) + " " + pg_type_name(t);
  bool toastable = t == PgType::Text || t == PgType::Json || t == PgType::Bytea;
  if (lz4 && toastable) def += " COMPRESSION lz4";
  return def;
}

std::vector<std::string> existing_columns(pg::Connection& c, const std::string& schema, const std::string& table) {
  auto r = c.exec_params(
      "SELECT a.attname FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid "
      "JOIN pg_namespace n ON n.oid = k.relnamespace "
      "WHERE n.nspname = $1 AND k.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
      {pg::Param::text(schema), pg::Param::text(table)});
  std::vector<std::string> out;
  for (int i = 0; i < r.ntuples(); ++i) out.emplace_back(r.get(i, 0));
  return out;
}

void create_or_extend(pg::Connection& c, const std::string& schema, const TableDraft& t, bool lz4) {
  auto have = existing_columns(c, schema, t.schema.name);
  std::string qualified = c.quote_qualified(schema, t.schema.name);
  std::vector<std::string> defs;
  for (std::size_t i = 0; i < t.schema.columns.size(); ++i) {
    const auto& col = t.schema.columns[i];
    if (std::find(have.begin(), have.end(), col.name) != have.end()) continue;
    defs.push_back(column_def(c, col, choose_pg_type(col.decl, col.name, t.stats[i]), lz4));
  }
  if (have.empty()) {
    std::string keys;
    for (const auto& k : t.schema.key) keys += (keys.empty() ? "" : ", ") + c.quote_ident(k);
    std::string sql = "CREATE TABLE " + qualified + " (";
    for (const auto& d : defs) sql += d + ", ";
    c.exec_sql(sql + "PRIMARY KEY (" + keys + "))");
    log::debug("created table {}", qualified);
    return;
  }
  for (const auto& d : defs) {
    c.exec_sql("ALTER TABLE " + qualified + " ADD COLUMN " + d);
    log::info("added column to {}: {}", qualified, d);
  }
}

void register_tenant(pg::Connection& c, const ndjson::Header& h) {
  c.exec_params(
      "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, source_path) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO UPDATE SET host_id = EXCLUDED.host_id, "
      "schema_name = EXCLUDED.schema_name, source_path = EXCLUDED.source_path, updated_at = now(), "
      "source_fingerprint = NULL",  // new tables or columns: the next cycle runs the pipeline
      {pg::Param::text(h.client), pg::Param::text(h.host), pg::Param::text(h.schema), pg::Param::text(h.source)});
}

// The database's rule for tenant names and schemas (sync_metadata.tenant_problem,
// sql/004_functions.sql): a client id or schema that is not a plain
// identifier, a reserved schema, or one that already holds other objects.
void check_tenant(pg::Connection& c, const ndjson::Header& h) {
  auto r = c.exec_params("SELECT sync_metadata.tenant_problem($1, $2)",
                         {pg::Param::text(h.client), pg::Param::text(h.schema)});
  if (!r.is_null(0, 0)) throw InputError(fmt::format("cannot provision this tenant: {}", r.get(0, 0)));
}

}  // namespace

int provision(const ProvisionOptions& opt) {
  ndjson::StreamHead head;
  std::optional<ndjson::SqliteSchema> captured;
  auto tables = read_stream(opt.max_record, head, captured);
  // Restore rebuilds the file from this capture: no stream without it.
  if (!captured)
    throw InputError("the stream has no sqlite_schema record (it must come from this version's sync-snapshot)");
  check_name("schema", head.header.schema);
  auto conn = pg::Connection::open(opt.dsn, "sync-load");
  pg::Transaction tx(conn);
  tx.set_local("syncpipe.host_id", head.header.host);
  bool lz4 = opt.lz4 && has_lz4(conn);
  std::string schema = conn.quote_ident(head.header.schema);
  std::string role = conn.quote_ident(opt.service_role);
  check_tenant(conn, head.header);
  register_tenant(conn, head.header);  // first: the database refuses a schema holding objects already
  conn.exec_sql("CREATE SCHEMA IF NOT EXISTS " + schema);
  for (const auto& t : tables) create_or_extend(conn, head.header.schema, t, lz4);
  conn.exec_sql("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
  conn.exec_sql("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA " + schema + " TO " + role);
  store_source_schema(conn, head.header.host, head.header.client, *captured);
  tx.commit();
  log::info("provisioned tenant {} in schema {} ({} tables{})", head.header.client, head.header.schema,
            tables.size(), lz4 ? ", lz4 TOAST compression" : "");
  return exit_code::kOk;
}

}  // namespace syncpipe::load
