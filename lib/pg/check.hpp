// lib/pg internal: turns what libpq returned into a Result or the right
// exception. Not for use outside lib/pg (it includes libpq-fe.h).
#pragma once

#include <libpq-fe.h>

#include "pg/result.hpp"

namespace syncpipe::pg::detail {

// Takes ownership of `res`. Returns it if its status is COMMAND_OK,
// TUPLES_OK, COPY_IN or COPY_OUT; otherwise throws (see throw_error).
Result check(PGconn* conn, PGresult* res);

// Throws unless `res` is non-null with one of the statuses check() accepts.
void ensure_ok(PGconn* conn, const PGresult* res);

// Reads every pending result (stops at a COPY state); returns the first
// failure, else the last result, else an empty Result.
Result drain(PGconn* conn);

// Throws TempFailError if the connection is gone (CONNECTION_BAD, SQLSTATE
// class 08, 57P01-57P03), else DbError. `res` may be null (libpq could not
// even build a result); it is not freed here.
[[noreturn]] void throw_error(PGconn* conn, const PGresult* res);

}  // namespace syncpipe::pg::detail
