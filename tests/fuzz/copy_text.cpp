// libFuzzer target: the COPY text encoder (lib/pg/copy_format: append_field,
// and append_value for bytea). Checks, against a decoder written here from the
// PostgreSQL documentation ("COPY", Text Format), that every field decodes
// back to its bytes and that no raw TAB, LF or CR is left to split the row.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "pg/copy_format.hpp"

namespace {

std::string decode(std::string_view f) {
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '\\') {
      out.push_back(f[i]);
      continue;
    }
    if (++i == f.size()) std::abort();  // a lone trailing backslash
    switch (f[i]) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case '\\': out.push_back('\\'); break;
      default: std::abort();  // the encoder writes no other escape
    }
  }
  return out;
}

void check_field(std::string_view value) {
  std::string buf = "x";  // appends after what is there
  syncpipe::pg::copy_text::append_field(buf, value);
  const std::string_view field = std::string_view(buf).substr(1);
  if (field.find_first_of("\t\n\r") != std::string_view::npos) std::abort();
  if (decode(field) != value) std::abort();
}

void check_bytea(std::string_view bytes) {
  std::string buf;
  syncpipe::pg::copy_text::append_value(buf, syncpipe::Value::blob(std::string(bytes)), syncpipe::PgType::Bytea);
  // "\\x" then two lowercase hex digits per byte, decoding to "\x..." for bytea's input
  if (buf.size() != 3 + 2 * bytes.size() || buf.compare(0, 3, "\\\\x") != 0) std::abort();
  if (buf.find_first_not_of("0123456789abcdef", 3) != std::string::npos) std::abort();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const unsigned long b = std::strtoul(buf.substr(3 + 2 * i, 2).c_str(), nullptr, 16);
    if (b != static_cast<unsigned char>(bytes[i])) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = syncpipe::fuzz::as_text(data, size);
  check_bytea(in);
  if (in.find('\0') == std::string_view::npos) check_field(in);  // REQUIRES of append_field: no NUL
  return 0;
}
