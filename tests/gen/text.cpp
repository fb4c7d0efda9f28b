#include "text.hpp"

#include <fmt/format.h>

#include <ctime>
#include <iterator>

#include "json_out.hpp"
#include "rng.hpp"

namespace syncpipe::gen {

namespace {

constexpr const char* kWords[] = {
    "the",     "model",    "answer",    "question", "data",    "table",  "python", "function",
    "return",  "value",    "sync",      "server",   "cluster", "memory", "prompt", "token",
    "context", "file",     "result",    "error",    "list",    "string", "number", "query",
    "index",   "report",   "summary",   "please",   "explain", "how",    "why",    "what",
    "can",     "you",      "write",     "code",     "example", "test",   "deploy", "config",
    "network", "latency",  "user",      "chat",     "message", "image",  "vector", "embedding",
    "search",  "document", "knowledge", "quickly",  "simple",  "large",  "small",  "fast",
    "slow",    "and",      "or",        "with",     "without", "for",    "in",     "on",
    "of",      "to"};
constexpr const char* kExotic[] = {"café", "naïve", "Zürich", "日本語", "résumé",      "😀",
                                   "北京", "Ωmega", "façade", "🚀",      "smörgåsbord", "–"};
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string word(Draw& d) {
  if (d.chance(5)) return kExotic[d.below(std::size(kExotic))];
  return kWords[d.below(std::size(kWords))];
}

std::string words(Draw& d, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += word(d);
  }
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::string prose(Draw& d, int min_words) {
  std::string out = words(d, 1);
  int n = min_words + static_cast<int>(d.below(static_cast<std::uint64_t>(min_words) + 1));
  for (int i = 1; i < n; ++i) {
    std::uint64_t r = d.below(40);
    out += r == 0 ? ".\n\n" : r == 1 ? ", " : r == 2 ? ". " : " ";
    if (r == 3) out += "\"" + word(d) + "\" ";
    out += word(d);
  }
  return out + ".";
}

std::string uuid(std::uint64_t h) {
  std::uint64_t a = mix(h), b = mix(a);
  std::string s = fmt::format("{:016x}{:016x}", a, b);
  s[12] = '4';
  s[16] = "89ab"[b & 3];
  return s.substr(0, 8) + "-" + s.substr(8, 4) + "-" + s.substr(12, 4) + "-" + s.substr(16, 4) +
         "-" + s.substr(20, 12);
}

std::string hex(std::uint64_t h, int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) out += fmt::format("{:016x}", h = mix(h));
  return out.substr(0, digits);
}

std::string token_chars(std::uint64_t h, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += kB64[(h = mix(h)) & 63];
  return out;
}

void append_escaped_prose(std::string& out, Draw& d, std::size_t bytes) {
  const std::size_t end = out.size() + bytes;
  std::string piece;
  while (true) {
    piece.clear();
    append_escaped(piece, prose(d, 12) + (d.chance(30) ? "\n" : " "));
    if (out.size() + piece.size() > end) break;
    out += piece;
  }
  // Fill the rest with whole ASCII words so the size is exact.
  while (out.size() < end) {
    const char* w = kWords[d.below(std::size(kWords))];
    std::string_view sv(w);
    std::size_t room = end - out.size();
    if (room > sv.size()) {
      out.append(sv).push_back(' ');
    } else {
      out.append(room, '.');
    }
  }
}

std::string datetime_text(std::int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace syncpipe::gen
