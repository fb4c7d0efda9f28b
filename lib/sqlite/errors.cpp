#include "sqlite/errors.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.hpp"

namespace syncpipe::sqlite::detail {

std::string one_line(std::string_view text) {
  constexpr std::size_t kMax = 300;
  std::string out;
  for (unsigned char c : text.substr(0, kMax)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

void throw_error(int rc, std::string_view context, std::string_view message) {
  std::string what = fmt::format("{}: {}", one_line(context), one_line(message));
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      throw InputError(what);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      throw NoInputError(what);
    default:
      throw RuntimeError(what);
  }
}

void throw_error(sqlite3* db, int rc, std::string_view context) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw_error(rc, context, msg != nullptr ? msg : sqlite3_errstr(rc));
}

}  // namespace syncpipe::sqlite::detail
