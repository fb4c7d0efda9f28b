// What every fuzz target shares: the input as a string_view, and a ByteSource
// that hands it out in chunks whose size the input's first byte chooses, so
// records split across reads are exercised too.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "ndjson/line_buffer.hpp"

namespace syncpipe::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Reads `in` (after its first byte) in chunks of 1 to 256 bytes.
inline ndjson::ByteSource chunked(std::string_view in) {
  const std::size_t chunk = in.empty() ? 1 : static_cast<unsigned char>(in[0]) + 1;
  if (!in.empty()) in.remove_prefix(1);
  return [in, chunk, pos = std::size_t{0}](char* dst, std::size_t n) mutable {
    const std::size_t k = std::min({n, chunk, in.size() - pos});
    std::memcpy(dst, in.data() + pos, k);
    pos += k;
    return k;
  };
}

// Small, so an input cannot make a target allocate without bound.
inline constexpr std::size_t kMaxRecord = 1 << 16;

}  // namespace syncpipe::fuzz
