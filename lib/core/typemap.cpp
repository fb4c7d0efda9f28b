#include "core/typemap.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>
#include <fmt/format.h>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "core/text_check.hpp"

namespace syncpipe {

namespace {

constexpr std::int64_t kExactInDouble = std::int64_t{1} << 53;  // every integer up to it is a double

std::string upper(std::string_view s) {
  std::string u(s);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
  return u;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// peewee declared some booleans INTEGER (auth.active, chat.archived, function.is_active, is_global).
bool boolean_name(std::string_view n) {
  return n == "active" || n == "archived" || n.rfind("is_", 0) == 0 || n.rfind("has_", 0) == 0;
}

PgType from_values(const ClassStats& s) {
  if (s.blob && !s.integer && !s.real && !s.text) return PgType::Bytea;
  if (s.text || s.blob) return PgType::Text;
  if (s.real) return s.max_abs_int <= kExactInDouble ? PgType::Double : PgType::Text;
  if (s.integer) return PgType::Bigint;
  return PgType::Text;  // nothing seen: text holds anything losslessly
}

std::optional<std::string> refuse(const Value& v, PgType t) {
  return fmt::format("{} value in a {} column", kind_name(v.kind), pg_type_name(t));
}

}  // namespace

std::string shortest_text(double d) {
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

const char* pg_type_name(PgType t) {
  switch (t) {
    case PgType::Bigint: return "bigint";
    case PgType::Double: return "double precision";
    case PgType::Boolean: return "boolean";
    case PgType::Text: return "text";
    case PgType::Json: return "json";
    case PgType::Bytea: return "bytea";
  }
  return "text";
}

std::optional<PgType> parse_pg_type(std::string_view s) {
  for (auto t : {PgType::Bigint, PgType::Double, PgType::Boolean, PgType::Text, PgType::Json, PgType::Bytea})
    if (s == pg_type_name(t)) return t;
  return std::nullopt;
}

void ClassStats::add(const Value& v) {
  switch (v.kind) {
    case Kind::Integer:
      integer = true;
      max_abs_int = std::max(max_abs_int, v.i == INT64_MIN ? INT64_MAX : std::abs(v.i));
      break;
    case Kind::Real: real = true; break;
    case Kind::Text: text = true; break;
    case Kind::Blob: blob = true; break;
    case Kind::Null: break;
  }
}

PgType choose_pg_type(std::string_view decl, std::string_view name, const ClassStats& seen) {
  std::string d = upper(decl);
  if (contains(d, "BOOL")) return PgType::Boolean;
  if (contains(d, "INT")) return boolean_name(name) && !seen.text && !seen.real ? PgType::Boolean : PgType::Bigint;
  if (contains(d, "JSON")) return PgType::Json;
  if (contains(d, "CHAR") || contains(d, "CLOB") || contains(d, "TEXT")) return PgType::Text;
  if (contains(d, "BLOB")) return PgType::Bytea;
  if (contains(d, "REAL") || contains(d, "FLOA") || contains(d, "DOUB")) return PgType::Double;
  if (contains(d, "DATE") && !contains(d, "TIME")) return PgType::Text;  // 'YYYY-MM-DD' kept as written
  return from_values(seen);  // DATETIME, NUMERIC, DECIMAL, no type: decided by the data
}

bool could_choose_pg_type(std::string_view decl, std::string_view name, PgType t) {
  // One value class of each kind, and reals beside integers beyond 2^53: every
  // branch of from_values() and of the boolean-name rule.
  std::vector<ClassStats> cases(6);
  cases[1].integer = true;
  cases[2].real = true;
  cases[3].text = true;
  cases[4].blob = true;
  cases[5].real = cases[5].integer = true;
  cases[5].max_abs_int = std::numeric_limits<std::int64_t>::max();
  return std::any_of(cases.begin(), cases.end(), [&](const ClassStats& s) { return choose_pg_type(decl, name, s) == t; });
}

namespace {

// The text a number becomes in a text or json column.
std::string number_text(const Value& v) { return v.kind == Kind::Integer ? std::to_string(v.i) : shortest_text(v.r); }

std::optional<std::string> check_text(std::string_view s, PgType t) {
  if (s.find('\0') != std::string_view::npos) return std::string("NUL byte in text");
  if (!valid_utf8(s)) return std::string("text is not valid UTF-8");
  if (t == PgType::Json && !is_valid_json(s)) return std::string("not valid JSON");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_target(const Value& v, PgType t) {
  if (v.is_null()) return std::nullopt;
  switch (t) {
    case PgType::Bigint:
      return v.kind == Kind::Integer ? std::nullopt : refuse(v, t);
    case PgType::Double:
      if (v.kind == Kind::Real) return std::nullopt;
      // compared as integers: 2^53 + 1 converted to double first would round to 2^53 and pass
      if (v.kind == Kind::Integer && v.i >= -kExactInDouble && v.i <= kExactInDouble) return std::nullopt;
      return refuse(v, t);
    case PgType::Boolean:
      if (v.kind == Kind::Integer && (v.i == 0 || v.i == 1)) return std::nullopt;
      return v.kind == Kind::Integer ? fmt::format("integer {} in a boolean column", v.i) : refuse(v, t);
    case PgType::Bytea:
      return v.kind == Kind::Blob || v.kind == Kind::Text ? std::nullopt : refuse(v, t);
    case PgType::Text:
    case PgType::Json:
      break;
  }
  if (v.kind == Kind::Blob) return refuse(v, t);
  if (v.kind == Kind::Text) return check_text(v.s, t);
  return check_text(number_text(v), t);
}

bool same_image(const Value& v, PgType t) {
  switch (v.kind) {
    case Kind::Null: return true;
    case Kind::Integer: return t == PgType::Bigint || t == PgType::Boolean;
    case Kind::Real: return t == PgType::Double;
    case Kind::Text: return t == PgType::Text || t == PgType::Json;
    case Kind::Blob: return t == PgType::Bytea;
  }
  return false;
}

void convert_target(Value& v, PgType t) {
  if (same_image(v, t)) return;
  if (t == PgType::Double) v = Value::real(static_cast<double>(v.i));
  else if (t == PgType::Bytea) v.kind = Kind::Blob;  // TEXT bytes in a bytea column
  else v = Value::text(number_text(v));               // a number in a text or json column
}

std::optional<std::string> to_target(const Value& v, PgType t, Value& out) {
  if (auto why = check_target(v, t)) return why;
  out = v;
  convert_target(out, t);
  return std::nullopt;
}

Value from_pg_text(std::string_view s, PgType t) {
  switch (t) {
    case PgType::Bigint: {
      std::int64_t i = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), i);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) throw RuntimeError(fmt::format("bad bigint from PostgreSQL: {}", s));
      return Value::integer(i);
    }
    case PgType::Double: {
      if (s == "Infinity") return Value::real(INFINITY);
      if (s == "-Infinity") return Value::real(-INFINITY);
      return Value::real(std::strtod(std::string(s).c_str(), nullptr));
    }
    case PgType::Boolean: return Value::integer(s == "t" ? 1 : 0);
    case PgType::Bytea:
      if (s.substr(0, 2) != "\\x") throw RuntimeError("bytea not in hex format");
      return Value::blob(hex_decode(s.substr(2)));
    case PgType::Text:
    case PgType::Json: break;
  }
  return Value::text(std::string(s));
}

}  // namespace syncpipe
