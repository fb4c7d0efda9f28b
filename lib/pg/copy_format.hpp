// COPY data formats (PostgreSQL docs, "COPY", File Formats).
//
// Text: one row per line, fields separated by TAB, NULL written as \N.
// Inside a field, backslash, TAB, LF and CR are written as \\, \t, \n, \r;
// every other byte passes unchanged. A NUL byte cannot be represented: the
// caller guarantees there is none (bytea goes as hex, see append_bytea_hex).
#pragma once

#include <string>
#include <string_view>

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

}  // namespace syncpipe::pg::copy_text
