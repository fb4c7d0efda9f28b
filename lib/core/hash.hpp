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
// One value as the canonical form sees it, borrowed from wherever it lives (a
// Value, an SQLite column): the hash rules below are written once for all.
struct ValueRef {
  Kind kind = Kind::Null;
  std::int64_t i = 0;
  double r = 0;
  std::string_view s;  // Text or Blob bytes
};
inline ValueRef ref(const Value& v) { return {v.kind, v.i, v.r, v.s}; }

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
  void value(const ValueRef& v);  // Null appends nothing
  Hash128 hash();

 private:
  void sized(char cls, std::string_view bytes);
  void stream(std::string_view bytes);  // moves buffered bytes, then bytes, into the state

  std::string buf_;
  void* state_;           // XXH3_state_t, used once a value is large
  bool streaming_ = false;
};

// Row hash h: non-NULL columns as name + value. at(i) gives column i of n as
// a ValueRef; names[i] is its name.
template <typename Names, typename At>
Hash128 row_hash_at(CanonicalBuffer& cb, const Names& names, std::size_t n, At at) {
  cb.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const ValueRef v = at(i);
    if (v.kind == Kind::Null) continue;
    cb.name(names[i]);
    cb.value(v);
  }
  return cb.hash();
}

template <typename Names>
Hash128 row_hash(CanonicalBuffer& cb, const Names& names, const Row& row) {
  return row_hash_at(cb, names, row.size(), [&](std::size_t i) { return ref(row[i]); });
}

// Key hash kh: table name then the n key values in key order (at(k) as above);
// a NULL key part (legal in SQLite) still takes a place.
template <typename At>
Hash128 key_hash_at(CanonicalBuffer& cb, std::string_view table, std::size_t n, At at) {
  cb.clear();
  cb.name(table);
  for (std::size_t k = 0; k < n; ++k) {
    const ValueRef v = at(k);
    if (v.kind == Kind::Null) cb.name("");
    cb.value(v);
  }
  return cb.hash();
}

inline Hash128 key_hash(CanonicalBuffer& cb, std::string_view table, const Row& key) {
  return key_hash_at(cb, table, key.size(), [&](std::size_t k) { return ref(key[k]); });
}

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
