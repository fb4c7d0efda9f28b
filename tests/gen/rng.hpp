// Stateless, seeded pseudo-randomness for syncpipe-gen: every value is a pure
// function of (seed, table, row, salt), so the output does not depend on the
// order rows are produced in and the same seed gives a byte-identical file.
#pragma once

#include <cstdint>
#include <string_view>

namespace syncpipe::gen {

// splitmix64 finaliser.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a of a name, for salting by table or column.
inline std::uint64_t name_hash(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

inline std::uint64_t hash(std::uint64_t a, std::uint64_t b) { return mix(a ^ mix(b)); }
inline std::uint64_t hash(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return hash(hash(a, b), c);
}
inline std::uint64_t hash(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
  return hash(hash(a, b, c), d);
}

// A sequence of draws from one starting hash.
class Draw {
 public:
  explicit Draw(std::uint64_t h) : state_(h) {}
  std::uint64_t next() { return state_ = mix(state_); }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }

 private:
  std::uint64_t state_;
};

}  // namespace syncpipe::gen
