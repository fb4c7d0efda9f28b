#include "core/text_check.hpp"

// simdjson is used here for its SIMD UTF-8 validator only (parsing stays in
// lib/ndjson); it is the fastest check available to us for 30 MB values.
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace syncpipe {

namespace {

// RFC 8259 grammar as PostgreSQL's json input checks it, in one pass over
// the text with no copy of it (a 30 MB chat is checked in place): strings
// without raw control bytes, numbers -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// the three literals, nesting at most kMaxDepth deep (PostgreSQL refuses very
// deep documents; simdjson's limit, used here before, was the same).
class JsonGrammar {
 public:
  explicit JsonGrammar(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool document() {
    space();
    if (!value()) return false;
    space();
    return p_ == end_;
  }

 private:
  static constexpr std::size_t kMaxDepth = 1024;

  bool at(char c) const { return p_ != end_ && *p_ == c; }
  bool digit() const { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; }
  void digits() {
    while (digit()) ++p_;
  }
  void space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  // One value; containers are tracked on stack_ rather than by recursion.
  bool value() {
    for (;;) {
      space();
      if (p_ == end_) return false;
      char c = *p_;
      if (c == '{' || c == '[') {
        if (stack_.size() >= kMaxDepth) return false;
        stack_.push_back(c == '{' ? '}' : ']');
        ++p_;
        space();
        if (at(stack_.back())) {  // empty container
          ++p_;
          stack_.pop_back();
        } else {
          if (c == '{' && !key()) return false;
          continue;  // its first value
        }
      } else if (!scalar()) {
        return false;
      }
      if (!after_value()) return false;
      if (stack_.empty()) return true;
    }
  }

  // After a value inside containers: closes finished containers; true with
  // p_ before the next value, or when the outermost container closed.
  bool after_value() {
    for (;;) {
      space();
      if (stack_.empty()) return true;
      if (at(',')) {
        ++p_;
        return stack_.back() == ']' || key();
      }
      if (!at(stack_.back())) return false;
      ++p_;
      stack_.pop_back();
    }
  }

  bool key() {  // "name" :
    space();
    if (!at('"') || !string()) return false;
    space();
    if (!at(':')) return false;
    ++p_;
    return true;
  }

  bool scalar() {
    switch (*p_) {
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool number() {
    if (at('-')) ++p_;
    if (at('0')) ++p_;
    else if (digit()) digits();
    else return false;
    if (at('.')) {
      ++p_;
      if (!digit()) return false;
      digits();
    }
    if (at('e') || at('E')) {
      ++p_;
      if (at('+') || at('-')) ++p_;
      if (!digit()) return false;
      digits();
    }
    return true;
  }

  bool hex4(unsigned& out) {
    if (end_ - p_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      char c = *p_;
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return false;
      out = out * 16 + static_cast<unsigned>(d);
    }
    return true;
  }

  // After a backslash.
  bool escape() {
    if (p_ == end_) return false;
    char c = *p_++;
    if (c != 'u') return std::string_view("\"\\/bfnrt").find(c) != std::string_view::npos;
    unsigned u = 0;
    return hex4(u);  // PostgreSQL's json (not jsonb) takes any code unit, a lone surrogate too
  }

  // True when a word of 8 bytes may hold '"', '\\' or a control byte (no
  // false negatives; a false positive only costs the byte-wise path).
  static bool may_end_run(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    auto zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    return ((w - kOnes * 0x20) & ~w & kHigh) || zero_byte(w ^ (kOnes * '"')) || zero_byte(w ^ (kOnes * '\\'));
  }

  bool string() {  // p_ at the opening quote
    ++p_;
    for (;;) {
      for (std::uint64_t w; end_ - p_ >= 8; p_ += 8) {  // skip plain text 8 bytes at a time
        std::memcpy(&w, p_, 8);
        if (may_end_run(w)) break;
      }
      if (p_ == end_) return false;
      auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\' && !escape()) return false;
    }
  }

  const char* p_;
  const char* end_;
  std::vector<char> stack_;  // the closing bracket of each open container
};

}  // namespace

bool valid_utf8(std::string_view bytes) { return simdjson::validate_utf8(bytes.data(), bytes.size()); }

bool is_valid_json(std::string_view text) { return valid_utf8(text) && JsonGrammar(text).document(); }

}  // namespace syncpipe
