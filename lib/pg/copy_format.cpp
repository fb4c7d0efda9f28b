#include "pg/copy_format.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/encoding.hpp"

namespace syncpipe::pg::copy_text {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// True if any of the 8 bytes of w is a backslash or below 0x0e (which
// covers TAB, LF and CR, and a few other control bytes that need no escape
// and are then handled one by one). Bytes >= 0x80 never match.
bool word_may_need_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const std::uint64_t below = (w - kOnes * 0x0e) & ~w & kHigh;
  const std::uint64_t b = w ^ (kOnes * '\\');
  const std::uint64_t backslash = (b - kOnes) & ~b & kHigh;
  return (below | backslash) != 0;
}

char escape_letter(char c) {
  switch (c) {
    case '\t': return 't';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\\': return '\\';
    default: return 0;
  }
}

}  // namespace

// Copies runs of plain bytes at once, finding the next byte to escape 8
// bytes at a time (JSON text has long runs between backslashes).
void append_field(std::string& buf, std::string_view value) {
  const char* p = value.data();
  const char* const end = p + value.size();
  const char* run = p;
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (!word_may_need_escape(w)) {
        p += 8;
        continue;
      }
    }
    const char letter = escape_letter(*p);
    if (letter) {
      buf.append(run, p);
      buf += '\\';
      buf += letter;
      run = p + 1;
    }
    ++p;
  }
  buf.append(run, end);
}

void append_null(std::string& buf) { buf.append("\\N"); }

void append_bytea_hex(std::string& buf, std::string_view bytes) {
  buf.append("\\\\x");
  const auto old = buf.size();
  buf.resize(old + 2 * bytes.size());
  char* out = buf.data() + old;
  for (unsigned char b : bytes) {
    *out++ = kHex[b >> 4];
    *out++ = kHex[b & 0xf];
  }
}

void append_value(std::string& out, const Value& v, PgType t) {
  switch (v.kind) {
    case Kind::Null: append_null(out); return;
    case Kind::Integer:
      if (t == PgType::Boolean) out.push_back(v.i ? 't' : 'f');
      else out.append(std::to_string(v.i));
      return;
    case Kind::Real:
      if (std::isinf(v.r)) out.append(v.r > 0 ? "Infinity" : "-Infinity");
      else out.append(shortest_text(v.r));
      return;
    case Kind::Text: append_field(out, v.s); return;
    case Kind::Blob: append_bytea_hex(out, v.s); return;
  }
}

}  // namespace syncpipe::pg::copy_text
