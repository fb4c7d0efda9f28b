#include "json_out.hpp"

#include <fmt/format.h>

namespace syncpipe::gen {

namespace {

bool plain(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

void append_u(std::string& out, unsigned cp) { out += fmt::format("\\u{:04x}", cp); }

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
std::size_t decode(std::string_view s, std::size_t i, unsigned& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned c = b(0);
  std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = c & (0x3f >> (len - 1));
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  return cp > 0x10ffff ? 0 : len;
}

void append_special(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      append_u(out, c);
  }
}

}  // namespace

void append_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t run = i;
    while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      append_special(out, c);
      ++i;
    } else {
      unsigned cp = 0;
      std::size_t len = decode(s, i, cp);
      if (len == 0) cp = c, len = 1;
      if (cp >= 0x10000) {
        append_u(out, 0xd800 + ((cp - 0x10000) >> 10));
        append_u(out, 0xdc00 + ((cp - 0x10000) & 0x3ff));
      } else {
        append_u(out, cp);
      }
      i += len;
    }
  }
}

std::string json_string(std::string_view utf8) {
  std::string out = "\"";
  append_escaped(out, utf8);
  out += '"';
  return out;
}

void JsonOut::value_prefix() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ", ";
    first_.back() = false;
  }
}

JsonOut& JsonOut::begin_object() {
  value_prefix();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonOut& JsonOut::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}

JsonOut& JsonOut::begin_array() {
  value_prefix();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonOut& JsonOut::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

JsonOut& JsonOut::key(std::string_view k) {
  value_prefix();
  out_ += '"';
  append_escaped(out_, k);
  out_ += "\": ";
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::string(std::string_view utf8) {
  value_prefix();
  out_ += '"';
  append_escaped(out_, utf8);
  out_ += '"';
  return *this;
}

JsonOut& JsonOut::escaped_string(std::string_view body) {
  value_prefix();
  out_ += '"';
  out_ += body;
  out_ += '"';
  return *this;
}

JsonOut& JsonOut::number(std::int64_t v) {
  value_prefix();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonOut& JsonOut::number(double v) {
  value_prefix();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonOut& JsonOut::boolean(bool v) {
  value_prefix();
  out_ += v ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::null() {
  value_prefix();
  out_ += "null";
  return *this;
}

}  // namespace syncpipe::gen
