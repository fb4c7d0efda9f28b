// syncpipe-gen create: a whole tenant from a schema SQL file.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "chats.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "inserter.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::gen {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NoInputError(fmt::format("{}: cannot read schema SQL", path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void remove_db_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(path + suffix);
}

// Drops the CREATE INDEX indexes (not those of PRIMARY KEY/UNIQUE constraints)
// and returns their SQL: building them after the rows are in is much cheaper
// than maintaining them row by row. The unique ones are rebuilt too, so a
// duplicate would still fail the run.
std::vector<std::string> drop_indexes(sqlite::Database& db) {
  std::vector<std::string> sql, names;
  sqlite::Statement st(
      db,
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid",
      "sqlite_master");
  while (st.step()) {
    names.emplace_back(st.column_text(0));
    sql.emplace_back(st.column_text(1));
  }
  for (const std::string& name : names) db.exec("DROP INDEX " + sqlite::quote_identifier(name));
  return sql;
}

std::int64_t fill_chats(sqlite::Database& db, const World& w) {
  TableInfo chat = load_table(db, "chat");
  TableInfo msg = load_table(db, "chat_message");
  Inserter chats(db, chat, "INSERT");
  Inserter messages(db, msg, "INSERT");
  const std::int64_t per_user = w.shape().chats_per_user;
  for (std::int64_t k = 0; k < w.chats(); ++k) {
    ChatPlan plan{k,
                  w.id("chat", k),
                  w.user_id(k / per_user),
                  static_cast<std::size_t>(w.shape().chat_bytes),
                  static_cast<int>(w.shape().messages_per_chat),
                  k * w.shape().messages_per_chat};
    insert_chat(w, chats, messages, plan);
  }
  return chats.inserted() + messages.inserted();
}

std::int64_t fill_table(sqlite::Database& db, const World& w, const std::string& name) {
  if (count_rows(db, name) > 0) return 0;  // alembic_version, migratehistory
  TableInfo t = load_table(db, name);
  Inserter ins(db, t, "INSERT OR IGNORE");
  for (std::int64_t k = 0, n = w.count(name); k < n; ++k) ins.insert(build_row(w, t, k));
  return ins.inserted();
}

}  // namespace

int run_create(const CreateOptions& o) {
  if (o.journal != "wal" && o.journal != "delete")
    throw UsageError("--journal must be wal or delete");
  const auto start = std::chrono::steady_clock::now();
  const std::string schema = read_file(o.schema_sql);
  remove_db_files(o.out);
  sqlite::Database db = sqlite::Database::open_readwrite(o.out, true);
  db.exec(fmt::format("PRAGMA journal_mode={}", o.journal));
  db.exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
  db.exec(schema);
  World w(o.shape);
  std::int64_t rows = 0;
  db.exec("BEGIN");
  const std::vector<std::string> indexes = drop_indexes(db);
  for (const std::string& table : sqlite::list_tables(db)) {
    if (table == "chat_message") continue;  // written with its chat
    rows += table == "chat" ? fill_chats(db, w) : fill_table(db, w, table);
  }
  for (const std::string& sql : indexes) db.exec(sql);
  db.exec("COMMIT");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "syncpipe-gen: %s: %lld rows in %.1f s\n", o.out.c_str(),
               static_cast<long long>(rows), secs);
  return 0;
}

std::int64_t count_rows(sqlite::Database& db, const std::string& table) {
  sqlite::Statement st(db, "SELECT count(*) FROM " + sqlite::quote_identifier(table), table);
  st.step();
  return st.column_int64(0);
}

World world_of(sqlite::Database& db, std::uint64_t seed) {
  Shape s;
  s.seed = seed;
  s.users = std::max<std::int64_t>(1, count_rows(db, "user"));
  s.chats_per_user = std::max<std::int64_t>(1, count_rows(db, "chat") / s.users);
  std::int64_t chats = std::max<std::int64_t>(1, count_rows(db, "chat"));
  s.messages_per_chat = std::max<std::int64_t>(1, count_rows(db, "chat_message") / chats);
  s.channel_messages = count_rows(db, "message");
  return World(s);
}

}  // namespace syncpipe::gen
