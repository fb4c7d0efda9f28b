#include "sqlite/database.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "sqlite/errors.hpp"

namespace syncpipe::sqlite {

namespace {

// A `file:` URI for `path`: '%', '?' and '#' (and control bytes) are
// percent-encoded; an absolute path gets an empty authority ("file:///...").
std::string file_uri(const std::string& path) {
  std::string uri = path.starts_with('/') ? "file://" : "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c == 0x7f) {
      uri += fmt::format("%{:02X}", c);
    } else {
      uri += static_cast<char>(c);
    }
  }
  return uri;
}

}  // namespace

void DatabaseCloser::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

Database::Database(std::unique_ptr<sqlite3, DatabaseCloser> db, std::string path)
    : db_(std::move(db)), path_(std::move(path)) {}

Database Database::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file_uri(path).c_str(), &raw, flags | SQLITE_OPEN_URI, nullptr);
  // Even a failed open may hand back a handle that must be closed.
  std::unique_ptr<sqlite3, DatabaseCloser> owner(raw);
  if (rc != SQLITE_OK) detail::throw_error(raw, rc, path);
  sqlite3_extended_result_codes(raw, 1);
  return Database(std::move(owner), path);
}

Database Database::open_readonly(const std::string& path, int busy_timeout_ms) {
  Database db = open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  db.busy_timeout(busy_timeout_ms);  // before the first read: a writer may hold the lock
  // Reading the schema is what detects "file is not a database".
  db.exec("SELECT count(*) FROM sqlite_master");
  return db;
}

Database Database::open_readwrite(const std::string& path, bool create) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  Database db = open(path, flags);
  db.exec("SELECT count(*) FROM sqlite_master");
  return db;
}

void Database::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return;
  std::string message = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  detail::throw_error(rc, path_, message);
}

void Database::busy_timeout(int milliseconds) { sqlite3_busy_timeout(db_.get(), milliseconds); }

std::int64_t Database::changes() const { return sqlite3_changes64(db_.get()); }

}  // namespace syncpipe::sqlite
