// Row and key hashes of the record protocol (see sync-protocol(7), HASHES):
// XXH3-128 over the canonical form of values. Callers append the canonical
// bytes into a reusable buffer and hash once, which is faster than feeding a
// streaming state many small pieces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/value.hpp"

namespace syncpipe {

struct Hash128 {
  std::uint64_t hi = 0, lo = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
  std::string hex() const;                 // 32 lowercase hex digits, hi first
  std::string bytes() const;               // 16 bytes big-endian (PostgreSQL bytea)
  static Hash128 from_hex(std::string_view hex);    // throws InputError
  static Hash128 from_bytes(std::string_view b16);  // throws InputError
};

// Accumulates canonical bytes; hash() digests them. Reuse between rows:
// clear(). Small values are gathered in a buffer and hashed at once (faster
// than feeding a streaming state many small pieces); a large TEXT or BLOB is
// streamed into XXH3 as it is, so a 30 MB value is never copied. Both ways
// give the same digest.
class CanonicalBuffer {
 public:
  CanonicalBuffer();
  ~CanonicalBuffer();
  CanonicalBuffer(const CanonicalBuffer&) = delete;
  CanonicalBuffer& operator=(const CanonicalBuffer&) = delete;

  void clear();
  void name(std::string_view n);  // a column or table name followed by a zero byte
  void integer(std::int64_t v);
  void real(double v);
  void text(std::string_view bytes);
  void blob(std::string_view bytes);
  void value(const Value& v);     // Null appends nothing
  Hash128 hash();

 private:
  void sized(char cls, std::string_view bytes);
  void stream(std::string_view bytes);  // moves buffered bytes, then bytes, into the state

  std::string buf_;
  void* state_;           // XXH3_state_t, used once a value is large
  bool streaming_ = false;
};

// Row hash h: non-NULL columns as name + value. names.size() == row.size().
template <typename Names>
Hash128 row_hash(CanonicalBuffer& cb, const Names& names, const Row& row) {
  cb.clear();
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i].is_null()) continue;
    cb.name(names[i]);
    cb.value(row[i]);
  }
  return cb.hash();
}

// Key hash kh: table name then the key values in key order.
Hash128 key_hash(CanonicalBuffer& cb, std::string_view table, const Row& key);

// XXH3-64 streaming checksum used by stream trailers.
class StreamChecksum {
 public:
  StreamChecksum();
  ~StreamChecksum();
  StreamChecksum(const StreamChecksum&) = delete;
  StreamChecksum& operator=(const StreamChecksum&) = delete;
  void update(std::string_view bytes);
  std::string hex() const;  // 16 lowercase hex digits

 private:
  void* state_;
};

}  // namespace syncpipe
