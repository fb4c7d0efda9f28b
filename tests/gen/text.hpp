// Deterministic text pieces for syncpipe-gen: words, sentences, UUIDs, hex,
// token-like strings, and JSON-escaped prose of an exact byte size.
#pragma once

#include <cstdint>
#include <string>

namespace syncpipe::gen {

class Draw;

// One word; about one in twenty is non-ASCII (accents, CJK, emoji).
std::string word(Draw& d);
// `n` words separated by spaces, first letter capitalised, no final period.
std::string words(Draw& d, int n);
// A paragraph of `min_words`..`2*min_words` words with punctuation and, now
// and then, a newline or a quoted phrase.
std::string prose(Draw& d, int min_words);
// 8-4-4-4-12 lowercase hex, version 4 bits set.
std::string uuid(std::uint64_t h);
std::string hex(std::uint64_t h, int digits);
// URL-safe base64-looking text of `n` characters (Fernet tokens, API keys).
std::string token_chars(std::uint64_t h, int n);
// Appends prose already JSON-escaped (json_out.hpp) of exactly `bytes` bytes.
void append_escaped_prose(std::string& out, Draw& d, std::size_t bytes);
// "YYYY-MM-DD HH:MM:SS" (UTC) for epoch seconds.
std::string datetime_text(std::int64_t epoch_seconds);

}  // namespace syncpipe::gen
