// One SQLite value, exactly as SQLite stored it (storage class plus bytes).
// The record protocol (man/sync-protocol.7.scd) encodes each class losslessly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace syncpipe {

enum class Kind : std::uint8_t { Null, Integer, Real, Text, Blob };

struct Value {
  Kind kind = Kind::Null;
  std::int64_t i = 0;  // Integer
  double r = 0;        // Real
  std::string s;       // Text or Blob bytes (Text may hold invalid UTF-8 and NULs)

  static Value null() { return {}; }
  static Value integer(std::int64_t v) { return {Kind::Integer, v, 0, {}}; }
  static Value real(double v) { return {Kind::Real, 0, v, {}}; }
  static Value text(std::string v) { return {Kind::Text, 0, 0, std::move(v)}; }
  static Value blob(std::string v) { return {Kind::Blob, 0, 0, std::move(v)}; }

  bool is_null() const { return kind == Kind::Null; }
  friend bool operator==(const Value& a, const Value& b);
};

using Row = std::vector<Value>;

const char* kind_name(Kind k);

}  // namespace syncpipe
