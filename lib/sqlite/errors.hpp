// Internal to lib/sqlite: turns an SQLite result code into a syncpipe
// exception (see database.hpp for the mapping).
#pragma once

#include <string>
#include <string_view>

struct sqlite3;

namespace syncpipe::sqlite::detail {

// Escapes control bytes so a message stays on one line (names may hold
// newlines); truncates very long text.
std::string one_line(std::string_view text);

// REQUIRES: rc is an SQLite error code. `context` is prefixed to the message.
[[noreturn]] void throw_error(int rc, std::string_view context, std::string_view message);
// Same, taking the message from the connection.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

}  // namespace syncpipe::sqlite::detail
