#include "core/affinity.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace syncpipe {

namespace {

bool has(const std::string& upper, const char* part) { return upper.find(part) != std::string::npos; }

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// SQLite's numeric literal: [sign] digits [. digits] | [sign] . digits, then
// an optional exponent [eE][sign]digits. `is_int`: no point, no exponent.
bool numeric_literal(std::string_view s, bool& is_int) {
  std::size_t i = 0, digits = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  is_int = true;
  if (i < s.size() && s[i] == '.') {
    is_int = false;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    is_int = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// sqlite3VdbeIntegerAffinity: an integral REAL strictly inside the int64 range.
bool integral(double r, std::int64_t& out) {
  if (!(r > -9223372036854775808.0 && r < 9223372036854775808.0)) return false;
  auto i = static_cast<std::int64_t>(r);
  if (static_cast<double>(i) != r || i == INT64_MIN || i == INT64_MAX) return false;
  out = i;
  return true;
}

// NUMERIC/INTEGER/REAL affinity on a text value: nothing unless it is a
// well-formed numeric literal.
void numeric_text(Value& v, Affinity a) {
  std::string_view s = trim(v.s);
  bool is_int = false;
  if (s.find('\0') != std::string_view::npos || !numeric_literal(s, is_int)) return;
  std::string lit(s);
  if (is_int) {
    std::int64_t i = 0;
    const char* b = lit.c_str() + (lit[0] == '+' ? 1 : 0);
    auto r = std::from_chars(b, lit.c_str() + lit.size(), i);
    if (r.ec == std::errc() && r.ptr == lit.c_str() + lit.size()) {
      v = a == Affinity::Real ? Value::real(static_cast<double>(i)) : Value::integer(i);
      return;
    }
  }
  v = Value::real(std::strtod(lit.c_str(), nullptr));
  apply_affinity(v, a);
}

std::string shortest(double d) {
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

}  // namespace

Affinity affinity_of(std::string_view decl) {
  std::string d(decl);
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return std::toupper(c); });
  if (has(d, "INT")) return Affinity::Integer;
  if (has(d, "CHAR") || has(d, "CLOB") || has(d, "TEXT")) return Affinity::Text;
  if (has(d, "BLOB") || d.empty()) return Affinity::Blob;
  if (has(d, "REAL") || has(d, "FLOA") || has(d, "DOUB")) return Affinity::Real;
  return Affinity::Numeric;
}

void apply_affinity(Value& v, Affinity a) {
  if (a == Affinity::Text || a == Affinity::Blob) return;
  std::int64_t i = 0;
  switch (v.kind) {
    case Kind::Text: numeric_text(v, a); return;
    case Kind::Integer:
      if (a == Affinity::Real) v = Value::real(static_cast<double>(v.i));
      return;
    case Kind::Real:
      if (a != Affinity::Real && integral(v.r, i)) v = Value::integer(i);
      // REAL affinity stores an integral REAL as an integer on disk, so a
      // -0.0 written there reads back as 0.0.
      else if (a == Affinity::Real && v.r == 0) v.r = 0.0;
      return;
    case Kind::Null:
    case Kind::Blob: return;
  }
}

bool ambiguous(Affinity a, PgType t) {
  return a == Affinity::Blob && (t == PgType::Double || t == PgType::Text || t == PgType::Json || t == PgType::Bytea);
}

std::vector<Value> alternatives(const Value& image, PgType t) {
  std::vector<Value> out;
  std::int64_t i = 0;
  if (image.kind == Kind::Real && t == PgType::Double && integral(image.r, i)) out.push_back(Value::integer(i));
  if (image.kind == Kind::Blob && t == PgType::Bytea) out.push_back(Value::text(image.s));
  if (image.kind == Kind::Text && (t == PgType::Text || t == PgType::Json)) {
    auto r = std::from_chars(image.s.data(), image.s.data() + image.s.size(), i);
    if (r.ec == std::errc() && r.ptr == image.s.data() + image.s.size() && std::to_string(i) == image.s)
      out.push_back(Value::integer(i));
    // A REAL in a text column is its shortest form: "0.5", "-0", "5", "1e+300".
    bool is_int = false;
    if (numeric_literal(image.s, is_int)) {
      double d = std::strtod(image.s.c_str(), nullptr);
      if (shortest(d) == image.s) out.push_back(Value::real(d));
    }
    if (image.s == "inf" || image.s == "-inf") out.push_back(Value::real(image.s[0] == '-' ? -INFINITY : INFINITY));
  }
  return out;
}

}  // namespace syncpipe
