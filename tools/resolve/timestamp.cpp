#include "timestamp.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>

namespace syncpipe::resolve {

std::optional<long double> scale_to_ns(long double x) {
  if (!std::isfinite(x)) return std::nullopt;
  long double a = std::fabs(x);
  if (a > 1e17L) return x;
  if (a > 1e14L) return x * 1e3L;
  if (a > 1e11L) return x * 1e6L;
  return x * 1e9L;
}

namespace {

// Reads exactly `n` digits at text[pos], advancing pos.
bool digits(std::string_view text, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > text.size()) return false;
  auto res = std::from_chars(text.data() + pos, text.data() + pos + n, out);
  if (res.ec != std::errc() || res.ptr != text.data() + pos + n) return false;
  pos += n;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Fraction of a second after '.', as nanoseconds.
long double fraction_ns(std::string_view text, std::size_t& pos) {
  long double ns = 0, scale = 1e8L;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    ns += (text[pos] - '0') * scale;
    scale /= 10;
    ++pos;
  }
  return ns;
}

// Zone suffix: "", "Z", "+hh:mm", "+hhmm", "+hh". Seconds east of UTC.
bool zone(std::string_view text, std::size_t& pos, long& offset) {
  offset = 0;
  if (pos == text.size()) return true;
  if (text[pos] == 'Z' || text[pos] == 'z') return ++pos == text.size();
  if (text[pos] != '+' && text[pos] != '-') return false;
  int sign = text[pos++] == '-' ? -1 : 1, hh = 0, mm = 0;
  if (!digits(text, pos, 2, hh)) return false;
  if (pos < text.size()) {
    expect(text, pos, ':');
    if (!digits(text, pos, 2, mm)) return false;
  }
  offset = sign * (hh * 3600L + mm * 60L);
  return pos == text.size();
}

}  // namespace

std::optional<long double> parse_iso8601_ns(std::string_view text) {
  std::size_t pos = 0;
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(text, pos, 4, y) || !expect(text, pos, '-') || !digits(text, pos, 2, mo) || !expect(text, pos, '-') ||
      !digits(text, pos, 2, d))
    return std::nullopt;
  long double frac = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    ++pos;
    if (!digits(text, pos, 2, h) || !expect(text, pos, ':') || !digits(text, pos, 2, mi)) return std::nullopt;
    if (expect(text, pos, ':')) {
      if (!digits(text, pos, 2, s)) return std::nullopt;
      if (expect(text, pos, '.')) frac = fraction_ns(text, pos);
    }
  }
  long offset = 0;
  if (!zone(text, pos, offset)) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t t = timegm(&tm);
  return (static_cast<long double>(t) - offset) * 1e9L + frac;
}

std::optional<long double> instant_ns(const Value& v) {
  switch (v.kind) {
    case Kind::Integer: return scale_to_ns(static_cast<long double>(v.i));
    case Kind::Real: return scale_to_ns(v.r);
    case Kind::Text: {
      std::string s(v.s);
      while (!s.empty() && s.back() == ' ') s.pop_back();
      if (s.empty()) return std::nullopt;
      char* end = nullptr;
      long double x = std::strtold(s.c_str(), &end);
      if (end == s.c_str() + s.size() && s.find_first_not_of("0123456789+-.eE") == std::string::npos)
        return scale_to_ns(x);
      return parse_iso8601_ns(s);
    }
    default: return std::nullopt;
  }
}

}  // namespace syncpipe::resolve
