#include "core/set_digest.hpp"

#include <xxhash.h>

namespace syncpipe {

namespace {

void put_be64(unsigned char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}

}  // namespace

Hash128 SetDigest::pair_hash(const Hash128& kh, const Hash128& h) {
  unsigned char b[32];
  put_be64(b, kh.hi);
  put_be64(b + 8, kh.lo);
  put_be64(b + 16, h.hi);
  put_be64(b + 24, h.lo);
  XXH128_hash_t x = XXH3_128bits(b, sizeof b);
  return {x.high64, x.low64};
}

void SetDigest::add(const Hash128& kh, const Hash128& h) {
  auto p = pair_hash(kh, h);
  sum_.hi += p.hi;
  sum_.lo += p.lo;
  ++count_;
}

void SetDigest::remove(const Hash128& kh, const Hash128& h) {
  auto p = pair_hash(kh, h);
  sum_.hi -= p.hi;
  sum_.lo -= p.lo;
  --count_;
}

}  // namespace syncpipe
