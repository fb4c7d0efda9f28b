// Errors raised by lib/pg. A command the server refused becomes a DbError
// (exit 1); a lost or refused connection becomes syncpipe::TempFailError
// (exit 75) so the timer simply retries later.
#pragma once

#include <string>

#include "core/error.hpp"

namespace syncpipe::pg {

class DbError : public Error {
 public:
  // `what` is "<primary> [SQLSTATE <code>] (<detail>)", one line.
  DbError(std::string sqlstate, std::string primary, std::string detail);

  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& primary() const { return primary_; }
  const std::string& detail() const { return detail_; }

  // 40001 serialization_failure or 40P01 deadlock_detected: rerun the transaction.
  bool is_serialization_failure() const;
  bool is_unique_violation() const { return sqlstate_ == "23505"; }

 private:
  std::string sqlstate_;
  std::string primary_;
  std::string detail_;
};

// True for SQLSTATEs that mean "the connection is gone, retry later":
// class 08 and 57P01/57P02/57P03.
bool is_connection_sqlstate(const std::string& sqlstate);

// Turns runs of newlines, control characters and spaces into one space and
// trims the ends, so a libpq message fits on one log line.
std::string one_line(std::string text);

}  // namespace syncpipe::pg
