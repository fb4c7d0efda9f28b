#include "pg/copy_format.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/encoding.hpp"

namespace syncpipe::pg::copy_text {
namespace {

constexpr char kHex[] = "0123456789abcdef";

char unescape_letter(char c) {
  switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    default: return c;  // "\\" and any other escaped character stand for themselves
  }
}

// Decodes the escape starting after the backslash at field[i]; advances i.
char decode_escape(std::string_view field, std::size_t& i) {
  const char c = field[i++];
  if (c >= '0' && c <= '7') {
    int v = c - '0';
    for (int k = 0; k < 2 && i < field.size() && field[i] >= '0' && field[i] <= '7'; ++k) {
      v = v * 8 + (field[i++] - '0');
    }
    return static_cast<char>(v);
  }
  if (c == 'x' && i < field.size() && hex_digit(field[i]) >= 0) {
    int v = hex_digit(field[i++]);
    if (i < field.size() && hex_digit(field[i]) >= 0) v = v * 16 + hex_digit(field[i++]);
    return static_cast<char>(v);
  }
  return unescape_letter(c);
}

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

std::string decode_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size();) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i++];
    } else {
      ++i;
      out += decode_escape(field, i);
    }
  }
  return out;
}

void split_row(std::string_view line, std::vector<std::optional<std::string>>& out) {
  out.clear();
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  for (std::size_t start = 0;;) {
    const auto tab = line.find('\t', start);
    const auto field = line.substr(start, tab - start);
    if (field == "\\N") {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(decode_field(field));
    }
    if (tab == std::string_view::npos) return;
    start = tab + 1;
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

namespace syncpipe::pg::copy_binary {
namespace {

template <typename T>
void append_be(std::string& buf, T v) {
  const auto u = static_cast<std::make_unsigned_t<T>>(v);
  for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8) {
    buf += static_cast<char>((u >> shift) & 0xff);
  }
}

}  // namespace

void append_header(std::string& buf) {
  buf.append("PGCOPY\n\377\r\n\0", 11);
  append_int32(buf, 0);  // flags
  append_int32(buf, 0);  // header extension length
}

void append_trailer(std::string& buf) { append_int16(buf, -1); }
void append_int16(std::string& buf, std::int16_t v) { append_be(buf, v); }
void append_int32(std::string& buf, std::int32_t v) { append_be(buf, v); }
void append_int64(std::string& buf, std::int64_t v) { append_be(buf, v); }

void append_field(std::string& buf, std::string_view bytes) {
  append_int32(buf, static_cast<std::int32_t>(bytes.size()));
  buf.append(bytes);
}

void append_null(std::string& buf) { append_int32(buf, -1); }

std::string int64_field(std::int64_t v) {
  std::string out;
  append_int64(out, v);
  return out;
}

}  // namespace syncpipe::pg::copy_binary
