#include "ndjson/json_out.hpp"

#include <charconv>
#include <cmath>

#include "core/encoding.hpp"
#include "core/text_check.hpp"

namespace syncpipe::ndjson {

namespace {

// true for bytes that JSON strings must escape
constexpr bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void escape_into(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    if (!needs_escape(c)) continue;
    out.append(in.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(in.data() + run, in.size() - run);
  out.push_back('"');
}

}  // namespace

std::string values_json(const Row& row) {
  JsonBuf j;
  j.values(row);
  return std::move(j.str());
}

JsonBuf& JsonBuf::comma() {
  if (!first_) s_.push_back(',');
  first_ = false;
  return *this;
}

JsonBuf& JsonBuf::key(std::string_view k) {
  comma();
  escape_into(s_, k);
  s_.push_back(':');
  return *this;
}

JsonBuf& JsonBuf::string(std::string_view utf8) {
  escape_into(s_, utf8);
  return *this;
}

JsonBuf& JsonBuf::integer(std::int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  s_.append(buf, res.ptr);
  return *this;
}

JsonBuf& JsonBuf::real(double v) {
  if (std::isinf(v)) return raw(v > 0 ? R"({"real":"inf"})" : R"({"real":"-inf"})");
  if (std::isnan(v)) return null();  // SQLite cannot store NaN; be safe anyway
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  std::string_view out(buf, static_cast<std::size_t>(res.ptr - buf));
  s_.append(out);
  if (out.find_first_of(".e") == std::string_view::npos) s_.append(".0");
  return *this;
}

JsonBuf& JsonBuf::text(std::string_view bytes) {
  if (valid_utf8(bytes)) return string(bytes);
  s_.append(R"({"text_b64":")");
  base64_append(s_, bytes);
  s_.append("\"}");
  return *this;
}

JsonBuf& JsonBuf::blob(std::string_view bytes) {
  s_.append(R"({"blob":")");
  base64_append(s_, bytes);
  s_.append("\"}");
  return *this;
}

JsonBuf& JsonBuf::value(const Value& v) {
  switch (v.kind) {
    case Kind::Null: return null();
    case Kind::Integer: return integer(v.i);
    case Kind::Real: return real(v.r);
    case Kind::Text: return text(v.s);
    case Kind::Blob: return blob(v.s);
  }
  return *this;
}

JsonBuf& JsonBuf::values(const Row& row) {
  s_.push_back('[');
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) s_.push_back(',');
    value(row[i]);
  }
  s_.push_back(']');
  first_ = false;
  return *this;
}

}  // namespace syncpipe::ndjson
