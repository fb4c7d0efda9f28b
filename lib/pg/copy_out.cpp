#include "pg/copy_out.hpp"

#include <libpq-fe.h>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "pg/check.hpp"

namespace syncpipe::pg {

CopyOut::CopyOut(Connection& conn, const std::string& copy_sql) : conn_(conn) {
  const Result res = conn_.exec_sql(copy_sql);
  if (PQresultStatus(res.native()) != PGRES_COPY_OUT) {
    done_ = true;
    throw RuntimeError("CopyOut needs a COPY ... TO STDOUT statement");
  }
}

CopyOut::~CopyOut() {
  release();
  if (done_) return;
  char* piece = nullptr;
  while (PQgetCopyData(conn_.native(), &piece, 0) >= 0) PQfreemem(piece);
  detail::drain(conn_.native());
}

void CopyOut::release() {
  if (row_) PQfreemem(row_);
  row_ = nullptr;
}

bool CopyOut::next(std::string_view& row) {
  release();
  if (done_) return false;
  const int n = PQgetCopyData(conn_.native(), &row_, 0);
  if (n >= 0) {
    row = std::string_view(row_, static_cast<std::size_t>(n));
    return true;
  }
  done_ = true;
  const Result res = detail::drain(conn_.native());
  if (n == -2 && !res) detail::throw_error(conn_.native(), nullptr);
  detail::ensure_ok(conn_.native(), res.native());
  return false;
}

namespace copy_text {

namespace {

char unescape_letter(char c) {
  switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    default: return c;  // "\\" and any other escaped character stand for themselves
  }
}

// Decodes the escape starting after the backslash at field[i]; advances i.
char decode_escape(std::string_view field, std::size_t& i) {
  const char c = field[i++];
  if (c >= '0' && c <= '7') {
    int v = c - '0';
    for (int k = 0; k < 2 && i < field.size() && field[i] >= '0' && field[i] <= '7'; ++k) v = v * 8 + (field[i++] - '0');
    return static_cast<char>(v);
  }
  if (c == 'x' && i < field.size() && hex_digit(field[i]) >= 0) {
    int v = hex_digit(field[i++]);
    if (i < field.size() && hex_digit(field[i]) >= 0) v = v * 16 + hex_digit(field[i++]);
    return static_cast<char>(v);
  }
  return unescape_letter(c);
}

}  // namespace

std::string decode_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size();) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i++];
    } else {
      ++i;
      out += decode_escape(field, i);
    }
  }
  return out;
}

void split_row(std::string_view line, std::vector<std::optional<std::string>>& out) {
  out.clear();
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  for (std::size_t start = 0;;) {
    const auto tab = line.find('\t', start);
    const auto field = line.substr(start, tab - start);
    if (field == "\\N") out.emplace_back(std::nullopt);
    else out.emplace_back(decode_field(field));
    if (tab == std::string_view::npos) return;
    start = tab + 1;
  }
}

}  // namespace copy_text

}  // namespace syncpipe::pg
