// An order-independent digest of a set of (key hash, row hash) pairs, used by
// sync-snapshot --skip-unchanged and sync-diff to agree on the rows a
// snapshot skipped without sending them (sync-protocol(7), "unchanged").
//
// Each pair contributes XXH3-128 of its 32 bytes kh || h (each hash 16 bytes
// big-endian, as Hash128::bytes()); contributions are added lane-wise (high
// and low 64 bits) modulo 2^64. So adding in any order gives the same digest,
// and remove() undoes add(). The empty set has the digest 0 (32 zeros).
#pragma once

#include <cstdint>

#include "core/hash.hpp"

namespace syncpipe {

class SetDigest {
 public:
  void add(const Hash128& kh, const Hash128& h);
  void remove(const Hash128& kh, const Hash128& h);

  std::uint64_t count() const { return count_; }
  const Hash128& digest() const { return sum_; }
  friend bool operator==(const SetDigest&, const SetDigest&) = default;

  // The contribution of one pair.
  static Hash128 pair_hash(const Hash128& kh, const Hash128& h);

 private:
  Hash128 sum_;
  std::uint64_t count_ = 0;
};

}  // namespace syncpipe
