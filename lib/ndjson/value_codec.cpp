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

}  // namespace

Value decode_value(sj::ondemand::value v, const Reader& r) {
  sj::ondemand::json_type t;
  if (v.type().get(t)) r.fail("malformed value");
  switch (t) {
    case sj::ondemand::json_type::null: return Value::null();
    case sj::ondemand::json_type::number: return decode_number(v, r);
    case sj::ondemand::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) r.fail("malformed string");
      return Value::text(std::string(s));
    }
    case sj::ondemand::json_type::object: return decode_tagged(v, r);
    default: r.fail("a value must be null, a number, a string or a tagged object");
  }
}

}  // namespace syncpipe::ndjson
