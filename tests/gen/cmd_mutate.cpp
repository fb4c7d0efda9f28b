// syncpipe-gen mutate: random inserts, updates and hard deletes in one
// transaction, as Open WebUI would make them between two sync cycles.
// Deletes do not cascade (Open WebUI never enables foreign keys), so a deleted
// chat may leave orphan chat_message rows, as real files do (NOTES.md §4).
// Output, one TSV line per table and operation that happened:
//   <table> TAB insert|update|delete TAB <rows>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/error.hpp"
#include "inserter.hpp"
#include "rng.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::gen {

namespace {

using Counts = std::map<std::pair<std::string, std::string>, std::int64_t>;

std::vector<std::string> eligible_tables(sqlite::Database& db, const MutateOptions& o) {
  const std::vector<std::string> all = sqlite::list_tables(db);
  for (const std::string& t : o.tables) {
    if (std::find(all.begin(), all.end(), t) == all.end() || !sqlite::has_rowid(db, t)) {
      throw UsageError(fmt::format("--tables: no such rowid table: {}", t));
    }
  }
  if (!o.tables.empty()) return o.tables;
  std::vector<std::string> out;
  for (const std::string& t : all) {
    if (t != "alembic_version" && t != "migratehistory" && sqlite::has_rowid(db, t))
      out.push_back(t);
  }
  return out;
}

// rowid of a random existing row, or -1 if the table is empty.
std::int64_t random_rowid(sqlite::Database& db, const std::string& table, Draw& d) {
  std::int64_t n = count_rows(db, table);
  if (n == 0) return -1;
  sqlite::Statement st(
      db,
      "SELECT rowid FROM " + sqlite::quote_identifier(table) + " ORDER BY rowid LIMIT 1 OFFSET ?1",
      table);
  st.bind(1, static_cast<std::int64_t>(d.below(static_cast<std::uint64_t>(n))));
  return st.step() ? st.column_int64(0) : -1;
}

// A column an update may change: not a key, not unique, not a timestamp.
int pick_column(const TableInfo& t, Draw& d) {
  std::vector<int> ok;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const sqlite::Column& c = t.columns[i];
    if (c.pk == 0 && !t.unique_alone[i] && c.name != "id" && !is_time_column(c.name)) {
      ok.push_back(static_cast<int>(i));
    }
  }
  return ok.empty() ? -1 : ok[d.below(ok.size())];
}

bool update_row(sqlite::Database& db, const World& w, const TableInfo& t, std::int64_t rowid,
                std::int64_t k, std::int64_t now) {
  Draw d(w.row_hash(t.name, k, "mutate"));
  int col = pick_column(t, d);
  if (col < 0) return false;
  std::string sql = fmt::format("UPDATE OR IGNORE {} SET {} = ?1", sqlite::quote_identifier(t.name),
                                sqlite::quote_identifier(t.columns[col].name));
  bool bump = t.column_index("updated_at") >= 0;
  if (bump) sql += ", updated_at = ?2";
  sqlite::Statement st(db, sql + " WHERE rowid = ?3", t.name);
  bind_value(st, 1, column_value(w, t, t.columns[static_cast<std::size_t>(col)], k));
  st.bind(2, is_ns_column(t.name, "updated_at") ? now * 1'000'000'000 + k % 1'000'000'000 : now);
  st.bind(3, rowid);
  st.step();
  return db.changes() > 0;
}

bool delete_row(sqlite::Database& db, const std::string& table, std::int64_t rowid) {
  sqlite::Statement st(db, "DELETE FROM " + sqlite::quote_identifier(table) + " WHERE rowid = ?1",
                       table);
  st.bind(1, rowid);
  st.step();
  return db.changes() > 0;
}

bool apply(sqlite::Database& db, const World& w, const TableInfo& t, std::string_view op,
           std::int64_t k, std::int64_t now, Draw& d) {
  if (op == "insert") return Inserter(db, t, "INSERT OR IGNORE").insert(build_row(w, t, k));
  std::int64_t rowid = random_rowid(db, t.name, d);
  if (rowid < 0) return false;
  return op == "update" ? update_row(db, w, t, rowid, k, now) : delete_row(db, t.name, rowid);
}

}  // namespace

int run_mutate(const MutateOptions& o) {
  sqlite::Database db = sqlite::Database::open_readwrite(o.db, false);
  db.busy_timeout(5000);
  const std::int64_t now = o.now != 0 ? o.now
                                      : std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
  World w = world_of(db, o.seed);
  std::vector<std::string> tables = eligible_tables(db, o);
  if (tables.empty()) throw UsageError("no tables to mutate");
  std::map<std::string, TableInfo> infos;
  Counts counts;
  Draw d(hash(o.seed, name_hash("mutate")));
  db.exec("BEGIN IMMEDIATE");
  const std::int64_t base = 1'000'000'000 + static_cast<std::int64_t>(o.seed % 1000) * 1'000'000;
  for (std::int64_t i = 0; i < o.inserts + o.updates + o.deletes; ++i) {
    const char* op = i < o.inserts ? "insert" : i < o.inserts + o.updates ? "update" : "delete";
    // A unique key already taken, an empty table: try elsewhere, a few times.
    for (std::int64_t attempt = 0; attempt < 10; ++attempt) {
      const std::string& name = tables[d.below(tables.size())];
      const TableInfo& t = infos.try_emplace(name, load_table(db, name)).first->second;
      if (apply(db, w, t, op, base + i * 16 + attempt, now, d)) {
        ++counts[{name, op}];
        break;
      }
    }
  }
  db.exec("COMMIT");
  for (const auto& [key, n] : counts) {
    std::printf("%s\t%s\t%lld\n", key.first.c_str(), key.second.c_str(), static_cast<long long>(n));
  }
  return 0;
}

}  // namespace syncpipe::gen
