#include "settle.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/json_tree.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::resolve {

namespace {

constexpr const char* kListSql =
    "SELECT id, client_id, table_name, coalesce(row_key, ''), coalesce(conflict_type, ''), "
    "coalesce(resolution_strategy, ''), "
    "coalesce(to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
    "coalesce(note, ''), settled_value "
    "FROM sync_metadata.conflict_log WHERE resolved_at IS NULL AND ($1::text IS NULL OR client_id = $1) "
    "ORDER BY id";

void print_json(const pg::Result& r, int i) {
  ndjson::JsonBuf j;
  j.open().key("id").integer(r.get_int64(i, 0));
  const char* names[] = {"client", "table", "key", "kind", "strategy", "detected_at", "note"};
  for (int c = 1; c <= 7; ++c) j.key(names[c - 1]).text(r.get(i, c));
  j.key("settled");
  if (r.is_null(i, 8)) j.null(); else j.raw(r.get(i, 8));
  j.close();
  std::printf("%s\n", j.str().c_str());
}

void print_human(const pg::Result& r, int i) {
  std::string settled = r.is_null(i, 8) ? "" : fmt::format("  settled {}", r.get(i, 8));
  std::printf("%s\n", fmt::format("{:>6}  {}  {}  {}  {}  {}  {}  {}{}", r.get(i, 0), r.get(i, 6), r.get(i, 1),
                                  r.get(i, 2), r.get(i, 3), r.get(i, 4), r.get(i, 5), r.get(i, 7), settled)
                          .c_str());
}

}  // namespace

std::int64_t list_conflicts(const AdminOptions& opt) {
  auto conn = pg::Connection::open(opt.dsn, "sync-resolve");
  pg::Transaction tx(conn);
  tx.set_local("syncpipe.host_id", opt.host);
  auto r = conn.exec_params(kListSql, {opt.client ? pg::Param::text(*opt.client) : pg::Param::null()});
  tx.commit();
  if (!opt.json && r.ntuples() > 0)
    std::printf("%6s  %-20s  %s  %s  %s  %s  %s  %s\n", "ID", "DETECTED", "CLIENT", "TABLE", "KEY", "KIND", "STRATEGY",
                "NOTE");
  for (int i = 0; i < r.ntuples(); ++i) opt.json ? print_json(r, i) : print_human(r, i);
  std::fflush(stdout);
  return r.ntuples();
}

namespace {

using Type = ndjson::JsonNode::Type;

// One value in the protocol encoding (sync-protocol(7), VALUES).
bool protocol_value(const ndjson::JsonNode& v) {
  if (v.is(Type::Null) || v.is(Type::Number) || v.is(Type::String)) return true;
  if (!v.is(Type::Object) || v.keys.size() != 1 || !v.items[0].is(Type::String)) return false;
  return v.keys[0] == "real" || v.keys[0] == "text_b64" || v.keys[0] == "blob";
}

// A settled row must be a JSON array of protocol values (the next run
// checks its width against the table).
Row check_value(const std::string& value) {
  ndjson::JsonNode n;
  try {
    n = ndjson::parse_json(value);
  } catch (const InputError& e) {
    throw UsageError(fmt::format("--value is not valid JSON: {}", e.what()));
  }
  if (!n.is(Type::Array))
    throw UsageError("--value must be the whole row as a JSON array of values, in column order");
  for (std::size_t i = 0; i < n.items.size(); ++i)
    if (!protocol_value(n.items[i]))
      throw UsageError(fmt::format("--value: element {} is not a value (null, a number, a string, "
                                   "{{\"real\":...}}, {{\"text_b64\":...}} or {{\"blob\":...}})", i + 1));
  try {
    return ndjson::parse_values_json(ndjson::to_json(n), "--value");
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

void settle_conflict(const AdminOptions& opt, std::int64_t id, const std::string& take, const std::string& value) {
  Row row = take == "value" ? check_value(value) : Row{};
  auto conn = pg::Connection::open(opt.dsn, "sync-resolve");
  pg::Transaction tx(conn);
  tx.set_local("syncpipe.host_id", opt.host);
  std::string by(conn.exec_sql("SELECT current_user").get(0, 0));
  auto r = conn.exec_params(
      "UPDATE sync_metadata.conflict_log SET settled_value = $2 WHERE id = $1 AND resolved_at IS NULL "
      "RETURNING client_id, table_name, coalesce(row_key, '')",
      {pg::Param::int64(id), pg::Param::text(ndjson::settlement_json({take, std::move(row), by, std::nullopt}))});
  if (r.ntuples() == 0) {
    auto seen = conn.exec_params("SELECT resolved_at IS NOT NULL FROM sync_metadata.conflict_log WHERE id = $1",
                                 {pg::Param::int64(id)});
    if (seen.ntuples() > 0 && seen.get(0, 0) == "t")
      throw RuntimeError(fmt::format("conflict {} is already resolved", id));
    throw RuntimeError(fmt::format("no conflict {} visible for host {}", id, opt.host));
  }
  tx.commit();
  log::info("conflict {} ({} table {} key {}) settled: {} — the next sync run applies it", id, r.get(0, 0),
            r.get(0, 1), r.get(0, 2), take);
}

}  // namespace syncpipe::resolve
