#include "sqlite/statement.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "sqlite/database.hpp"
#include "sqlite/errors.hpp"

namespace syncpipe::sqlite {

void StatementFinalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

Statement::Statement(Database& db, std::string_view sql, std::string context)
    : db_(db.handle()),
      where_(fmt::format("{}: {}", db.path(), context.empty() ? std::string(sql) : context)) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) {
    detail::throw_error(db_, rc, where_);
  }
}

void Statement::check_bind(int rc, int index) {
  if (rc == SQLITE_OK) return;
  detail::throw_error(db_, rc, fmt::format("{}: bind parameter {}", where_, index));
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A non-null pointer even for "" so the value is '' and not NULL.
  const char* data = text.data() != nullptr ? text.data() : "";
  check_bind(
      sqlite3_bind_text64(stmt_.get(), index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::bind(int index, std::span<const std::byte> blob) {
  const void* data = blob.data() != nullptr ? static_cast<const void*>(blob.data()) : "";
  check_bind(sqlite3_bind_blob64(stmt_.get(), index, data, blob.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  check_bind(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_.get());
  detail::throw_error(db_, rc, where_);
}

void Statement::reset() { sqlite3_reset(stmt_.get()); }

int Statement::column_count() const { return sqlite3_column_count(stmt_.get()); }

std::string_view Statement::column_name(int i) const {
  const char* name = sqlite3_column_name(stmt_.get(), i);
  return name != nullptr ? std::string_view(name) : std::string_view();
}

ColumnType Statement::column_type(int i) const {
  switch (sqlite3_column_type(stmt_.get(), i)) {
    case SQLITE_INTEGER:
      return ColumnType::Integer;
    case SQLITE_FLOAT:
      return ColumnType::Real;
    case SQLITE_TEXT:
      return ColumnType::Text;
    case SQLITE_BLOB:
      return ColumnType::Blob;
    default:
      return ColumnType::Null;
  }
}

std::int64_t Statement::column_int64(int i) const { return sqlite3_column_int64(stmt_.get(), i); }

double Statement::column_double(int i) const { return sqlite3_column_double(stmt_.get(), i); }

std::string_view Statement::column_bytes(int i) const {
  if (sqlite3_column_type(stmt_.get(), i) == SQLITE_BLOB) {
    // Pointer first, then size (SQLite's documented order).
    const void* data = sqlite3_column_blob(stmt_.get(), i);
    int size = sqlite3_column_bytes(stmt_.get(), i);
    return data != nullptr ? std::string_view(static_cast<const char*>(data), size)
                           : std::string_view();
  }
  return column_text(i);
}

ColumnValue Statement::column(int i) const {
  sqlite3_value* v = sqlite3_column_value(stmt_.get(), i);
  ColumnValue c;
  auto bytes = [&](const void* data) {
    int size = sqlite3_value_bytes(v);  // after the pointer (SQLite's documented order)
    return data != nullptr ? std::string_view(static_cast<const char*>(data), size) : std::string_view();
  };
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: c.type = ColumnType::Integer, c.i = sqlite3_value_int64(v); break;
    case SQLITE_FLOAT: c.type = ColumnType::Real, c.r = sqlite3_value_double(v); break;
    case SQLITE_TEXT: c.type = ColumnType::Text, c.bytes = bytes(sqlite3_value_text(v)); break;
    case SQLITE_BLOB: c.type = ColumnType::Blob, c.bytes = bytes(sqlite3_value_blob(v)); break;
    default: break;
  }
  return c;
}

std::string_view Statement::column_text(int i) const {
  const unsigned char* data = sqlite3_column_text(stmt_.get(), i);
  int size = sqlite3_column_bytes(stmt_.get(), i);
  return data != nullptr ? std::string_view(reinterpret_cast<const char*>(data), size)
                         : std::string_view();
}

}  // namespace syncpipe::sqlite
