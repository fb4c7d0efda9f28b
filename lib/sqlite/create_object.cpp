#include "sqlite/create_object.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace syncpipe::sqlite {

namespace {

// "CREATE TABLE", "CREATE INDEX" ... : the words the text must begin with.
bool begins_as(std::string_view type, const std::string& sql) {
  std::string head;
  for (char c : sql.substr(0, 40)) head += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (type == "index") return head.starts_with("CREATE INDEX ") || head.starts_with("CREATE UNIQUE INDEX ");
  if (type == "table") return head.starts_with("CREATE TABLE ") || head.starts_with("CREATE VIRTUAL TABLE ");
  if (type == "view") return head.starts_with("CREATE VIEW ");
  if (type == "trigger") return head.starts_with("CREATE TRIGGER ");
  return false;
}

bool only_blanks(const char* from, const char* to) {
  return std::all_of(from, to, [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == ';'; });
}

}  // namespace

void create_object(Database& db, std::string_view type, std::string_view name, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  int rc = begins_as(type, sql)
               ? sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &st, &tail)
               : SQLITE_MISUSE;
  if (rc != SQLITE_OK || !tail || !only_blanks(tail, sql.c_str() + sql.size())) {
    sqlite3_finalize(st);
    throw InputError(fmt::format("sqlite_schema: {} \"{}\": not a single CREATE {} statement", type, name, type));
  }
  rc = sqlite3_step(st);
  std::string why = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db.handle());
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) throw RuntimeError(fmt::format("sqlite_schema: {} \"{}\": {}", type, name, why));
}

}  // namespace syncpipe::sqlite
