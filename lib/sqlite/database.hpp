// An owned SQLite connection. Only lib/sqlite includes <sqlite3.h>; callers see
// the handle as an opaque pointer.
//
// Errors are thrown as syncpipe exceptions (core/error.hpp) with one-line
// messages "<path>: <sqlite message>":
//   missing or unreadable file          -> NoInputError (exit 66)
//   not a database, corrupt (NOTADB,
//   CORRUPT)                            -> InputError   (exit 65)
//   anything else                       -> RuntimeError (exit 1)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;

namespace syncpipe::sqlite {

struct DatabaseCloser {
  void operator()(sqlite3* db) const noexcept;
};

class Database {
 public:
  // Opens `path` read-only (SQLITE_OPEN_READONLY through a `file:` URI, no
  // mutex) and reads the schema once so a non-database fails here, not later.
  // Never changes the journal mode, never checkpoints, never writes. Waits up
  // to busy_timeout_ms for a writer's lock, from that first read on.
  static Database open_readonly(const std::string& path, int busy_timeout_ms = 10000);
  // For generators and tests. `create` makes the file if it does not exist.
  static Database open_readwrite(const std::string& path, bool create);

  // Runs one or more SQL statements that return no rows of interest.
  void exec(std::string_view sql);
  void busy_timeout(int milliseconds);
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const;

  sqlite3* handle() const { return db_.get(); }
  const std::string& path() const { return path_; }
  // The file named in error messages from now on (e.g. the tenant file of
  // which this is a private copy). Statements prepared earlier keep the old.
  void name_in_messages(std::string path) { path_ = std::move(path); }

 private:
  Database(std::unique_ptr<sqlite3, DatabaseCloser> db, std::string path);
  static Database open(const std::string& path, int flags);

  std::unique_ptr<sqlite3, DatabaseCloser> db_;
  std::string path_;
};

}  // namespace syncpipe::sqlite
