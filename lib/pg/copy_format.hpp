// COPY data formats (PostgreSQL docs, "COPY", File Formats).
//
// Text: one row per line, fields separated by TAB, NULL written as \N.
// Inside a field, backslash, TAB, LF and CR are written as \\, \t, \n, \r;
// every other byte passes unchanged. A NUL byte cannot be represented: the
// caller guarantees there is none (bytea goes as hex, see append_bytea_hex).
//
// Binary: the 19-byte header (signature "PGCOPY\n\377\r\n\0", int32 flags 0,
// int32 extension length 0); per row an int16 field count, then per field an
// int32 length (-1 for NULL) and that many bytes of the type's binary form;
// the int16 -1 trailer. All integers big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "core/typemap.hpp"
#include "core/value.hpp"

namespace syncpipe::pg::copy_text {

// REQUIRES: `value` has no NUL byte.
void append_field(std::string& buf, std::string_view value);
void append_null(std::string& buf);
// bytea in hex form ("\\x0aff" on the wire: the backslash itself escaped).
void append_bytea_hex(std::string& buf, std::string_view bytes);
// v (a target image for type t, core/typemap.hpp) as one field.
void append_value(std::string& buf, const Value& v, PgType t);

// Reverses append_field for one field (also \b \f \v, octal and \xhh).
std::string decode_field(std::string_view field);
// Splits one row (a trailing "\n" is ignored); \N becomes nullopt.
void split_row(std::string_view line, std::vector<std::optional<std::string>>& out);

}  // namespace syncpipe::pg::copy_text

namespace syncpipe::pg::copy_binary {

void append_header(std::string& buf);
void append_trailer(std::string& buf);
void append_int16(std::string& buf, std::int16_t v);
void append_int32(std::string& buf, std::int32_t v);
void append_int64(std::string& buf, std::int64_t v);
// A field: its int32 length then the bytes. Use for text, bytea, and any
// type whose binary form the caller built (e.g. int8 via int64_field).
void append_field(std::string& buf, std::string_view bytes);
void append_null(std::string& buf);
std::string int64_field(std::int64_t v);  // the 8-byte binary form of int8

}  // namespace syncpipe::pg::copy_binary
