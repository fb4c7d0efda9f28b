// lib/core/set_digest: the digest sync-snapshot --skip-unchanged and sync-diff
// compare. Order must not matter; any different set must (practically) differ.
#include "core/set_digest.hpp"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <random>
#include <vector>

namespace syncpipe {
namespace {

using Pair = std::pair<Hash128, Hash128>;

std::vector<Pair> pairs(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Pair> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({{rng(), rng()}, {rng(), rng()}});
  return out;
}

SetDigest digest_of(const std::vector<Pair>& ps) {
  SetDigest d;
  for (const auto& [kh, h] : ps) d.add(kh, h);
  return d;
}

TEST(SetDigest, EmptyIsZero) {
  SetDigest d;
  EXPECT_EQ(d.count(), 0u);
  EXPECT_EQ(d.digest().hex(), std::string(32, '0'));
}

TEST(SetDigest, PairHashIsXxh3OfBigEndianBytes) {
  Hash128 kh{0x0102030405060708ull, 0x090a0b0c0d0e0f10ull}, h{0x1112131415161718ull, 0x191a1b1c1d1e1f20ull};
  std::string bytes = kh.bytes() + h.bytes();
  ASSERT_EQ(bytes.size(), 32u);
  EXPECT_EQ(bytes[0], '\x01');
  EXPECT_EQ(bytes[31], '\x20');
  auto x = XXH3_128bits(bytes.data(), bytes.size());
  EXPECT_EQ(SetDigest::pair_hash(kh, h), (Hash128{x.high64, x.low64}));
  SetDigest d;
  d.add(kh, h);
  EXPECT_EQ(d.digest(), SetDigest::pair_hash(kh, h));
}

TEST(SetDigest, OrderDoesNotMatter) {
  auto ps = pairs(1000, 1);
  auto a = digest_of(ps);
  std::shuffle(ps.begin(), ps.end(), std::mt19937_64(2));
  EXPECT_EQ(a, digest_of(ps));
  EXPECT_EQ(a.count(), 1000u);
}

TEST(SetDigest, RemoveUndoesAdd) {
  auto ps = pairs(100, 3);
  auto d = digest_of(ps);
  auto extra = pairs(10, 4);
  for (const auto& [kh, h] : extra) d.add(kh, h);
  for (const auto& [kh, h] : extra) d.remove(kh, h);
  EXPECT_EQ(d, digest_of(ps));
  for (const auto& [kh, h] : ps) d.remove(kh, h);
  EXPECT_EQ(d, SetDigest{});
}

TEST(SetDigest, AnyChangedPairChangesTheDigest) {
  auto ps = pairs(200, 5);
  auto base = digest_of(ps);
  for (std::size_t i = 0; i < ps.size(); i += 17) {
    auto changed = ps;
    changed[i].second.lo ^= 1;  // one row hash differs by one bit
    EXPECT_NE(digest_of(changed).digest(), base.digest()) << i;
    changed = ps;
    std::swap(changed[i].second, changed[(i + 1) % ps.size()].second);  // hashes moved to other keys
    EXPECT_NE(digest_of(changed).digest(), base.digest()) << i;
  }
}

TEST(SetDigest, SwappedKeyAndRowHashDiffer) {
  Hash128 a{1, 2}, b{3, 4};
  SetDigest x, y;
  x.add(a, b);
  y.add(b, a);
  EXPECT_NE(x.digest(), y.digest());
}

}  // namespace
}  // namespace syncpipe
