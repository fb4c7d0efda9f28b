// A prepared statement owned by unique_ptr. Bind indexes are 1-based (SQLite's
// convention); column indexes are 0-based.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace syncpipe::sqlite {

class Database;

enum class ColumnType { Integer, Real, Text, Blob, Null };

// One column of the current row: its type and value (i for Integer, r for
// Real, bytes for Text and Blob), read with one call into SQLite.
struct ColumnValue {
  ColumnType type = ColumnType::Null;
  std::int64_t i = 0;
  double r = 0;
  std::string_view bytes;
};

struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};

class Statement {
 public:
  // `context` (e.g. the table name) prefixes error messages; empty means the
  // SQL text itself. REQUIRES: the connection outlives the statement (moving the Database is fine).
  Statement(Database& db, std::string_view sql, std::string context = {});

  // Values are copied by SQLite (SQLITE_TRANSIENT); the caller's buffers may
  // change right after the call. Bindings survive reset().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);  // TEXT, byte-exact (NULs kept)
  Statement& bind(int index, std::span<const std::byte> blob);
  Statement& bind(int index, std::nullptr_t);
  Statement& bind_null(int index) { return bind(index, nullptr); }

  // Returns true when a row is available, false when done. Errors throw,
  // naming the database file and the context.
  bool step();
  // Makes the statement runnable again (after done, a row, or an error).
  void reset();

  int column_count() const;
  std::string_view column_name(int i) const;
  ColumnType column_type(int i) const;
  std::int64_t column_int64(int i) const;
  double column_double(int i) const;
  // The raw bytes of a TEXT or BLOB value (other types are converted to text
  // first, NULL gives an empty view). The view is VALID ONLY UNTIL the next
  // step(), reset() or destruction, and until another column_* call on the same
  // column with a different type converts the value.
  std::string_view column_bytes(int i) const;
  // Like column_bytes() but always asks SQLite for TEXT (a BLOB is returned
  // as its bytes too). Same lifetime contract.
  std::string_view column_text(int i) const;
  // Type and value of column i without a type conversion; cheaper than
  // column_type() plus column_bytes() (one SQLite call, not three or four:
  // the hot path of sync-snapshot --skip-unchanged). Same lifetime contract
  // as column_bytes(). Not for use by two threads at once.
  ColumnValue column(int i) const;

  sqlite3_stmt* handle() const { return stmt_.get(); }

 private:
  void check_bind(int rc, int index);

  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
  sqlite3* db_;        // the connection, for error messages
  std::string where_;  // "<path>: <context>", prefixed to error messages
};

}  // namespace syncpipe::sqlite
