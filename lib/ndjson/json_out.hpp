// Building one JSON record line. Values are written in the lossless encoding
// of sync-protocol(7), VALUES: TEXT that is not valid UTF-8 becomes
// {"text_b64":...}, BLOB {"blob":...}, REAL always shows a '.' or exponent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/value.hpp"

namespace syncpipe::ndjson {

class JsonBuf {
 public:
  std::string& str() { return s_; }
  const std::string& str() const { return s_; }
  void clear() { s_.clear(); }

  JsonBuf& raw(std::string_view text) { s_.append(text); return *this; }
  JsonBuf& key(std::string_view k);        // writes ,"k": or "k": after '{'
  JsonBuf& string(std::string_view utf8);  // caller guarantees valid UTF-8
  JsonBuf& integer(std::int64_t v);
  JsonBuf& boolean(bool v) { return raw(v ? "true" : "false"); }
  JsonBuf& null() { return raw("null"); }

  // SQLite values in protocol encoding.
  JsonBuf& real(double v);
  JsonBuf& text(std::string_view bytes);   // checks UTF-8, falls back to text_b64
  JsonBuf& blob(std::string_view bytes);
  JsonBuf& value(const Value& v);
  JsonBuf& values(const Row& row);         // a JSON array

  // Object helpers that manage commas: open(), field(...), close().
  JsonBuf& open() { s_.push_back('{'); first_ = true; return *this; }
  JsonBuf& close() { s_.push_back('}'); first_ = false; return *this; }
  JsonBuf& open_array() { s_.push_back('['); first_ = true; return *this; }
  JsonBuf& close_array() { s_.push_back(']'); first_ = false; return *this; }
  JsonBuf& comma();  // before an array element

 private:
  std::string s_;
  bool first_ = true;
};

// A row (or key) as the JSON array text of protocol values, e.g. row_state.key_json.
std::string values_json(const Row& row);

}  // namespace syncpipe::ndjson
