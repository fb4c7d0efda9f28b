#include "pg/error.hpp"

namespace syncpipe::pg {
namespace {

std::string format_what(const std::string& sqlstate, const std::string& primary,
                        const std::string& detail) {
  std::string what = primary.empty() ? "database error" : primary;
  if (!sqlstate.empty()) what += " [SQLSTATE " + sqlstate + "]";
  if (!detail.empty()) what += " (" + detail + ")";
  return one_line(what);
}

}  // namespace

DbError::DbError(std::string sqlstate, std::string primary, std::string detail)
    : Error(exit_code::kError, format_what(sqlstate, primary, detail)),
      sqlstate_(std::move(sqlstate)),
      primary_(one_line(std::move(primary))),
      detail_(one_line(std::move(detail))) {}

bool DbError::is_serialization_failure() const {
  return sqlstate_ == "40001" || sqlstate_ == "40P01";
}

bool is_connection_sqlstate(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string one_line(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool blank = u < 0x20 || u == 0x7f || c == ' ';
    if (!blank) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace syncpipe::pg
