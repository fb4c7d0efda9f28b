// Byte encodings used by the record protocol: hex for hashes, base64 for
// BLOBs and for TEXT that is not valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace syncpipe {

// The value of one hex digit (either case), or -1.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string hex_encode(std::string_view bytes);
std::string hex_decode(std::string_view hex);         // throws InputError
void base64_append(std::string& out, std::string_view bytes);
std::string base64_decode(std::string_view b64);      // throws InputError

}  // namespace syncpipe
