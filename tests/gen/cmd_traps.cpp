// syncpipe-gen traps: one row per value a lossless sync must survive.
// Each trap is a new row (id "trap-<what>") in an existing table, written with
// INSERT OR REPLACE so re-running is harmless. Output, one TSV line per trap:
//   <table> TAB <id> TAB <what> TAB <column>
// Open WebUI has no REAL column; when `memory` has none, this command adds one:
// ALTER TABLE memory ADD COLUMN score REAL. REAL affinity stores an integral
// double as an integer and so turns -0.0 into 0.0; the -0.0 trap therefore
// goes into a typeless column: ALTER TABLE memory ADD COLUMN weight (no type).
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inserter.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"

namespace syncpipe::gen {

namespace {

struct Trap {
  std::string table, what, column;
  Value value;
};

using Lim = std::numeric_limits<double>;

std::string upper(std::string_view s) {
  std::string t;
  for (char ch : s) t += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return t;
}

// A column of `memory` that `accepts` its declared type, added if there is none.
template <typename Accept>
std::string memory_column(sqlite::Database& db, Accept accepts, const char* add) {
  for (const sqlite::Column& c : sqlite::table_columns(db, "memory")) {
    if (c.pk == 0 && accepts(upper(c.declared_type))) return c.name;
  }
  db.exec(fmt::format("ALTER TABLE memory ADD COLUMN {}", add));
  return std::string(std::string_view(add).substr(0, std::string_view(add).find(' ')));
}

std::string real_column(sqlite::Database& db) {
  return memory_column(
      db,
      [](const std::string& t) {
        return t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
               t.find("DOUB") != std::string::npos;
      },
      "score REAL");
}

std::string typeless_column(sqlite::Database& db) {
  return memory_column(
      db, [](const std::string& t) { return t.empty(); }, "weight");
}

// A VARCHAR(n) column that is not part of a key, preferring `user`.
std::pair<std::string, std::string> varchar_column(sqlite::Database& db) {
  std::vector<std::string> tables = sqlite::list_tables(db);
  tables.insert(tables.begin(), "user");
  for (const std::string& table : tables) {
    TableInfo t = load_table(db, table);
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const sqlite::Column& c = t.columns[i];
      if (c.pk == 0 && !t.unique_alone[i] && c.name != "email" &&
          c.declared_type.find("CHAR(") != std::string::npos) {
        return {table, c.name};
      }
    }
  }
  return {"", ""};
}

std::vector<Trap> traps(sqlite::Database& db) {
  const std::string real = real_column(db);
  const std::string typeless = typeless_column(db);
  const auto [vtable, vcolumn] = varchar_column(db);
  using I = std::int64_t;
  return {
      {"message", "int64-max", "created_at", std::numeric_limits<I>::max()},
      {"message", "int64-min", "created_at", std::numeric_limits<I>::min()},
      {"message", "ns-timestamp", "created_at", I{1'800'000'000'123'456'789}},
      {"memory", "real-inf", real, Lim::infinity()},
      {"memory", "real-neg-inf", real, -Lim::infinity()},
      {"memory", "real-neg-zero", typeless, -0.0},
      {"memory", "real-0.1", real, 0.1},
      {"memory", "real-1e300", real, 1e300},
      {"memory", "real-subnormal", real, Lim::denorm_min()},
      {"memory", "text-nul", "content", std::string("before\0after", 12)},
      {"message", "text-invalid-utf8", "content", std::string("bad \xc3\x28 \xff\xfe utf-8")},
      {"note", "json-u0000", "data", std::string("{\"content\": \"x\\u0000y\"}")},
      {"note", "json-lone-surrogate", "meta", std::string("{\"title\": \"\\ud800\"}")},
      {"chat_message", "text-in-integer", "created_at", std::string("yesterday")},
      {"chat_message", "real-in-integer", "created_at", 1700000000.5},
      {"user", "json-null-text", "info", std::string("null")},
      {"user", "json-sql-null", "info", Value()},
      {"memory", "empty-string", "path", std::string()},
      {"memory", "sql-null", "path", Value()},
      {vtable, "varchar-overflow", vcolumn, std::string(300, 'v')},
      {"memory", "blob-in-text", "content", Blob{std::string("\x00\x01\xfe\xff", 4)}},
  };
}

}  // namespace

int run_traps(const std::string& db_path) {
  sqlite::Database db = sqlite::Database::open_readwrite(db_path, false);
  db.busy_timeout(5000);
  World w = world_of(db, 0x7a5);
  std::vector<Trap> list = traps(db);
  db.exec("BEGIN IMMEDIATE");
  std::int64_t k = 2'000'000'000;
  for (const Trap& trap : list) {
    TableInfo t = load_table(db, trap.table);
    int col = t.column_index(trap.column);
    int id = t.column_index("id");
    if (col < 0 || id < 0) continue;
    std::vector<Value> row = build_row(w, t, k++);
    const std::string key = "trap-" + trap.what;
    row[static_cast<std::size_t>(id)] = key;
    row[static_cast<std::size_t>(col)] = trap.value;
    Inserter(db, t, "INSERT OR REPLACE").insert(row);
    std::printf("%s\t%s\t%s\t%s\n", trap.table.c_str(), key.c_str(), trap.what.c_str(),
                trap.column.c_str());
  }
  db.exec("COMMIT");
  return 0;
}

}  // namespace syncpipe::gen
