// One parameter of Connection::exec_params. Values always travel as
// parameters, never inside SQL text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syncpipe::pg {

struct Param {
  std::optional<std::string> value;  // nullopt = SQL NULL
  bool binary = false;               // value holds the type's binary form
  unsigned int type = 0;             // OID; 0 lets the server infer it

  // Text, with the type inferred from the SQL (works for text, jsonb,
  // timestamptz, numeric ...). REQUIRES: no NUL byte.
  static Param text(std::string_view s) { return {std::string(s), false, 0}; }
  // A bigint over its full range.
  static Param int64(std::int64_t v) { return {std::to_string(v), false, kInt8Oid}; }
  // bytea, sent in binary so any byte (NUL included) passes unchanged.
  static Param bytes(std::string_view b) { return {std::string(b), true, kByteaOid}; }
  static Param null() { return {std::nullopt, false, 0}; }
  static Param boolean(bool v) { return {v ? "t" : "f", false, kBoolOid}; }

  static constexpr unsigned int kBoolOid = 16;
  static constexpr unsigned int kByteaOid = 17;
  static constexpr unsigned int kInt8Oid = 20;
  static constexpr unsigned int kTextOid = 25;
};

}  // namespace syncpipe::pg
