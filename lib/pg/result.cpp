#include "pg/result.hpp"

#include <libpq-fe.h>

#include <cassert>
#include <charconv>
#include <string>

#include "core/error.hpp"

namespace syncpipe::pg {
namespace {

std::int64_t read_big_endian(std::string_view bytes) {
  std::uint64_t v = 0;
  for (unsigned char b : bytes) v = (v << 8) | b;
  const unsigned shift = 64 - 8 * static_cast<unsigned>(bytes.size());
  // Sign-extend 2- and 4-byte values.
  return static_cast<std::int64_t>(v << shift) >> shift;
}

}  // namespace

void Result::Deleter::operator()(pg_result* res) const { PQclear(res); }

int Result::ntuples() const { return PQntuples(res_.get()); }
int Result::nfields() const { return PQnfields(res_.get()); }

bool Result::is_null(int r, int c) const {
  assert(r >= 0 && r < ntuples() && c >= 0 && c < nfields());
  return PQgetisnull(res_.get(), r, c) != 0;
}

std::string_view Result::get(int r, int c) const {
  assert(r >= 0 && r < ntuples() && c >= 0 && c < nfields());
  return {PQgetvalue(res_.get(), r, c), static_cast<std::size_t>(PQgetlength(res_.get(), r, c))};
}

std::int64_t Result::get_int64(int r, int c) const {
  if (is_null(r, c)) {
    throw RuntimeError("column " + std::string(field_name(c)) + " is NULL, expected an integer");
  }
  const std::string_view v = get(r, c);
  if (PQfformat(res_.get(), c) == 1) {
    if (v.size() == 2 || v.size() == 4 || v.size() == 8) return read_big_endian(v);
  } else {
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec == std::errc() && end == v.data() + v.size()) return out;
  }
  throw RuntimeError("column " + std::string(field_name(c)) + " is not a 64-bit integer");
}

unsigned int Result::field_type(int c) const { return PQftype(res_.get(), c); }

std::string_view Result::field_name(int c) const {
  const char* name = PQfname(res_.get(), c);
  return name ? name : "";
}

std::int64_t Result::affected_rows() const {
  const char* s = PQcmdTuples(res_.get());
  std::int64_t n = 0;
  if (s) std::from_chars(s, s + std::char_traits<char>::length(s), n);
  return n;
}

}  // namespace syncpipe::pg
