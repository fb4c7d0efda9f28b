// syncpipe-gen writer and big: concurrent and oversized writes for the
// consistency and bounded-memory tests.
//
// writer: each transaction inserts chat "w-<n>", one chat_message
// "w-<n>-<uuid>" and sets config 'syncpipe.test.counter' to n (JSON number; the
// column's NUMERIC affinity stores it as an INTEGER). In any consistent
// snapshot: count(chat id LIKE 'w-%') = counter = count(chat_message id LIKE 'w-%').
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "chats.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "inserter.hpp"
#include "sqlite/database.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::gen {

namespace {

constexpr const char* kCounterSql =
    "INSERT INTO config(\"key\", value, updated_at) VALUES ('syncpipe.test.counter', ?1, ?2) "
    "ON CONFLICT(\"key\") DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

std::int64_t read_counter(sqlite::Database& db) {
  sqlite::Statement st(db, "SELECT value FROM config WHERE \"key\" = 'syncpipe.test.counter'",
                       "config");
  return st.step() ? st.column_int64(0) : 0;
}

std::int64_t epoch_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

struct Writer {
  sqlite::Database& db;
  World w;
  TableInfo chat, msg;
  Inserter chats, messages;
  sqlite::Statement counter;

  explicit Writer(sqlite::Database& d)
      : db(d),
        w(world_of(d, 0x3717e5)),
        chat(load_table(d, "chat")),
        msg(load_table(d, "chat_message")),
        chats(d, chat, "INSERT"),
        messages(d, msg, "INSERT"),
        counter(d, kCounterSql, "config") {}

  void commit_one(std::int64_t n) {
    db.exec("BEGIN IMMEDIATE");
    ChatPlan plan{3'000'000'000 + n, fmt::format("w-{}", n), w.user_id(n), 2000, 1,
                  3'000'000'000 + n};
    insert_chat(w, chats, messages, plan);
    counter.bind(1, std::string_view(std::to_string(n))).bind(2, epoch_now());
    counter.step();
    counter.reset();
    db.exec("COMMIT");
  }
};

}  // namespace

int run_writer(const std::string& db_path, double seconds) {
  sqlite::Database db = sqlite::Database::open_readwrite(db_path, false);
  db.busy_timeout(10000);
  Writer writer(db);
  std::int64_t n = read_counter(db);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int failures = 0;
  do {  // at least one transaction, however short --seconds is
    try {
      writer.commit_one(n + 1);
      ++n;
      failures = 0;
    } catch (const RuntimeError&) {  // busy beyond the timeout: roll back, retry
      try {
        db.exec("ROLLBACK");
      } catch (const Error&) {
      }
      if (++failures > 20) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } while (std::chrono::steady_clock::now() < deadline);
  std::printf("%lld\n", static_cast<long long>(n));
  return 0;
}

int run_big(const std::string& db_path, std::int64_t bytes) {
  if (bytes <= 0) throw UsageError("--bytes must be positive");
  sqlite::Database db = sqlite::Database::open_readwrite(db_path, false);
  db.busy_timeout(10000);
  World w = world_of(db, 0xb16);
  TableInfo chat = load_table(db, "chat"), msg = load_table(db, "chat_message");
  Inserter chats(db, chat, "INSERT OR REPLACE"), messages(db, msg, "INSERT OR REPLACE");
  const std::string id = fmt::format("big-{}", bytes);
  db.exec("BEGIN IMMEDIATE");
  insert_chat(w, chats, messages,
              ChatPlan{4'000'000'000, id, w.user_id(0), static_cast<std::size_t>(bytes), 20,
                       4'000'000'000});
  db.exec("COMMIT");
  std::printf("chat\t%s\t%lld\n", id.c_str(), static_cast<long long>(bytes));
  return 0;
}

}  // namespace syncpipe::gen
