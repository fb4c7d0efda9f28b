// Reads a record stream (sync-protocol(7)) from a file descriptor, one line
// at a time, with bounded memory: a buffer that holds the current line (at
// most max_record bytes) plus read-ahead. Each line is parsed on demand with
// simdjson; fields and values returned are valid until the next call of
// next(). The trailer is verified here, so a stage that reaches the end of
// next() knows its input was complete and intact.
//
// Errors (bad JSON, missing field, record too long, truncated stream, bad
// trailer) throw InputError("<name>:<line>: <why>").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.hpp"
#include "core/value.hpp"
#include "ndjson/line_buffer.hpp"

namespace syncpipe::ndjson {

inline constexpr std::size_t kDefaultMaxRecord = std::size_t{128} << 20;

class Reader {
 public:
  explicit Reader(int fd = 0, std::string name = "stdin", std::size_t max_record = kDefaultMaxRecord);
  // Reads through `source` instead of a file descriptor.
  Reader(ByteSource source, std::string name, std::size_t max_record = kDefaultMaxRecord);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Advances to the next record. Returns false once the trailer was read and
  // verified and the input ended. The trailer itself is never returned.
  bool next();

  std::string_view line() const;       // the record's bytes, no line feed
  std::size_t line_no() const;         // 1-based
  std::uint64_t bytes_read() const;
  std::string_view type();             // field "t"

  std::string_view str(std::string_view field);                  // required
  std::optional<std::string_view> opt_str(std::string_view field);  // missing/null -> nullopt
  std::int64_t int64(std::string_view field);
  std::optional<std::int64_t> opt_int64(std::string_view field);
  bool boolean(std::string_view field, bool if_missing);
  Hash128 hash(std::string_view field);
  std::optional<Hash128> opt_hash(std::string_view field);
  // Decodes an array of protocol values. Returns false when the field is
  // missing or null (out is then empty).
  bool values(std::string_view field, Row& out);
  // Decodes only the elements at positions `at` (in that order) of an array
  // of protocol values, e.g. a row's key columns; `count` receives the
  // array's length. Positions past its end stay null. Returns false when the
  // field is missing or null.
  bool values_at(std::string_view field, const std::vector<std::size_t>& at, Row& out, std::size_t& count);
  // The JSON text of a field's value as it lies in the line (an array or
  // object from its bracket to the matching one, else the scalar token), or
  // nullopt when the field is missing or null. Writing it forwards the
  // source bytes without decoding them. Only the brackets are matched; the
  // elements are not validated (a stage that decodes them does).
  std::optional<std::string_view> raw(std::string_view field);

  // Throws InputError naming this record.
  [[noreturn]] void fail(std::string_view why) const;

  struct Impl;
  Impl& impl() { return *impl_; }  // for lib/ndjson/protocol.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace syncpipe::ndjson
