#include "core/hash.hpp"

#include <bit>
#include <cstring>
#include <fmt/format.h>
#include <xxhash.h>

#include "core/encoding.hpp"
#include "core/error.hpp"

namespace syncpipe {

namespace {

void put_le64(std::string& out, std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  char b[8];
  std::memcpy(b, &v, 8);  // one 8-byte store, not eight shifts
  out.append(b, 8);
}

std::uint64_t get_be64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string Hash128::hex() const { return fmt::format("{:016x}{:016x}", hi, lo); }

std::string Hash128::bytes() const {
  std::string out(16, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((hi >> (56 - 8 * i)) & 0xff);
    out[8 + i] = static_cast<char>((lo >> (56 - 8 * i)) & 0xff);
  }
  return out;
}

Hash128 Hash128::from_bytes(std::string_view b) {
  if (b.size() != 16) throw InputError(fmt::format("hash of {} bytes, expected 16", b.size()));
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  return {get_be64(p), get_be64(p + 8)};
}

namespace {

// 64 bits from 16 hex digits, no allocation (two per record on the hot path).
bool hex64(std::string_view hex, std::uint64_t& out) {
  out = 0;
  for (char c : hex) {
    unsigned d = c >= '0' && c <= '9'   ? static_cast<unsigned>(c - '0')
                 : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? static_cast<unsigned>(c - 'A' + 10)
                                        : 16u;
    if (d == 16) return false;
    out = out << 4 | d;
  }
  return true;
}

}  // namespace

Hash128 Hash128::from_hex(std::string_view hex) {
  if (hex.size() != 32) throw InputError(fmt::format("bad hash '{}': expected 32 hex digits", hex));
  Hash128 h;
  if (!hex64(hex.substr(0, 16), h.hi) || !hex64(hex.substr(16), h.lo))
    throw InputError(fmt::format("bad hex digit in '{}'", hex));
  return h;
}

namespace {
constexpr std::size_t kStreamAt = 64 << 10;  // values from this size on are streamed, not copied
}

CanonicalBuffer::CanonicalBuffer() : state_(XXH3_createState()) {}
CanonicalBuffer::~CanonicalBuffer() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void CanonicalBuffer::clear() {
  buf_.clear();
  streaming_ = false;
}

void CanonicalBuffer::stream(std::string_view bytes) {
  auto* st = static_cast<XXH3_state_t*>(state_);
  if (!streaming_) {
    XXH3_128bits_reset(st);
    streaming_ = true;
  }
  XXH3_128bits_update(st, buf_.data(), buf_.size());
  buf_.clear();
  XXH3_128bits_update(st, bytes.data(), bytes.size());
}

void CanonicalBuffer::name(std::string_view n) {
  buf_.append(n);
  buf_.push_back('\0');
}

void CanonicalBuffer::integer(std::int64_t v) {
  buf_.push_back('i');
  put_le64(buf_, static_cast<std::uint64_t>(v));
}

void CanonicalBuffer::real(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  buf_.push_back('r');
  put_le64(buf_, bits);
}

void CanonicalBuffer::sized(char cls, std::string_view bytes) {
  buf_.push_back(cls);
  put_le64(buf_, bytes.size());
  if (bytes.size() >= kStreamAt) stream(bytes);
  else buf_.append(bytes);
}

void CanonicalBuffer::text(std::string_view bytes) { sized('t', bytes); }
void CanonicalBuffer::blob(std::string_view bytes) { sized('b', bytes); }

void CanonicalBuffer::value(const ValueRef& v) {
  switch (v.kind) {
    case Kind::Null: break;
    case Kind::Integer: integer(v.i); break;
    case Kind::Real: real(v.r); break;
    case Kind::Text: text(v.s); break;
    case Kind::Blob: blob(v.s); break;
  }
}

Hash128 CanonicalBuffer::hash() {
  XXH128_hash_t h;
  if (streaming_) {
    stream({});
    h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  } else {
    h = XXH3_128bits(buf_.data(), buf_.size());
  }
  return {h.high64, h.low64};
}

StreamChecksum::StreamChecksum() : state_(XXH3_createState()) {
  XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}

StreamChecksum::~StreamChecksum() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void StreamChecksum::update(std::string_view bytes) {
  XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), bytes.data(), bytes.size());
}

std::string StreamChecksum::hex() const {
  return fmt::format("{:016x}", XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_)));
}

}  // namespace syncpipe
