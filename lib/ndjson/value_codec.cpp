// Decoding of protocol values (sync-protocol(7), VALUES). Encoding lives in
// json_out.cpp beside the rest of the JSON writing.
#include <fmt/format.h>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "ndjson/reader_impl.hpp"

namespace syncpipe::ndjson {

namespace sj = simdjson;

namespace {

Value decode_number(sj::ondemand::value v, const Reader& r) {
  sj::ondemand::number_type t;
  if (v.get_number_type().get(t)) r.fail("malformed number");
  if (t == sj::ondemand::number_type::signed_integer) {
    std::int64_t i;
    if (v.get_int64().get(i)) r.fail("malformed integer");
    return Value::integer(i);
  }
  if (t == sj::ondemand::number_type::unsigned_integer) r.fail("integer outside the int64 range");
  double d;
  if (v.get_double().get(d)) r.fail("malformed number");
  return Value::real(d);
}

Value decode_tagged(sj::ondemand::value v, const Reader& r) {
  sj::ondemand::object obj;
  if (v.get_object().get(obj)) r.fail("malformed tagged value");
  for (auto field : obj) {
    std::string_view key, payload;
    if (field.unescaped_key().get(key) || field.value().get_string().get(payload))
      r.fail("malformed tagged value");
    try {
      if (key == "text_b64") return Value::text(base64_decode(payload));
      if (key == "blob") return Value::blob(base64_decode(payload));
    } catch (const InputError& e) {
      r.fail(fmt::format("{}: {}", key, e.what()));
    }
    if (key == "real" && payload == "inf") return Value::real(std::numeric_limits<double>::infinity());
    if (key == "real" && payload == "-inf") return Value::real(-std::numeric_limits<double>::infinity());
    r.fail(fmt::format("unknown tagged value \"{}\"", key));
  }
  r.fail("empty tagged value");
}

// Appends the UTF-8 of a \uXXXX escape (at p, after the backslash) that is
// not a surrogate; false for anything else.
bool append_bmp_escape(std::string_view p, std::string& out) {
  if (p.size() < 5) return false;
  unsigned u = 0;
  for (std::size_t i = 1; i < 5; ++i) {
    int d = hex_digit(p[i]);
    if (d < 0) return false;
    u = u * 16 + static_cast<unsigned>(d);
  }
  if (u >= 0xD800 && u <= 0xDFFF) return false;
  if (u < 0x80) {
    out.push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (u >> 6)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (u >> 12)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  }
  return true;
}

// Unescapes a string token's body (between its quotes) into out, straight
// from the line: simdjson's string buffer is not used, which for a 30 MB
// value is one full copy less. Returns false for escapes left to simdjson
// (surrogate pairs, anything malformed), so the result never differs.
bool unescape(std::string_view body, std::string& out) {
  out.clear();
  out.reserve(body.size());
  for (;;) {
    auto bs = body.find('\\');
    out.append(body.substr(0, bs));
    if (bs == std::string_view::npos) return true;
    body.remove_prefix(bs);
    if (body.size() < 2) return false;
    static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    if (auto i = kFrom.find(body[1]); i != std::string_view::npos) {
      out.push_back(kTo[i]);
      body.remove_prefix(2);
    } else if (body[1] == 'u' && append_bmp_escape(body.substr(1), out)) {
      body.remove_prefix(6);
    } else {
      return false;
    }
  }
}

// Strings from this size on are unescaped by unescape(); smaller ones by
// simdjson, which is faster at it.
constexpr std::size_t kLargeString = 64 << 10;

Value decode_string(sj::ondemand::value v, const Reader& r) {
  std::string_view raw = v.raw_json_token();  // "...", then white space up to the next token
  if (raw.size() >= kLargeString) {
    while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);
    std::string out;
    if (raw.size() >= 2 && unescape(raw.substr(1, raw.size() - 2), out)) return Value::text(std::move(out));
  }
  std::string_view s;
  if (v.get_string().get(s)) r.fail("malformed string");
  return Value::text(std::string(s));
}

}  // namespace

Value decode_value(sj::ondemand::value v, const Reader& r) {
  sj::ondemand::json_type t;
  if (v.type().get(t)) r.fail("malformed value");
  switch (t) {
    case sj::ondemand::json_type::null: return Value::null();
    case sj::ondemand::json_type::number: return decode_number(v, r);
    case sj::ondemand::json_type::string: return decode_string(v, r);
    case sj::ondemand::json_type::object: return decode_tagged(v, r);
    default: r.fail("a value must be null, a number, a string or a tagged object");
  }
}

}  // namespace syncpipe::ndjson
