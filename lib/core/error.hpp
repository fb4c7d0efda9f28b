// Exceptions used inside syncpipe. Each carries the exit code it maps to, so
// run_tool() (lib/cli/run_tool.hpp) is the only place that turns them into a
// process status. Messages are one line: "<what>: <why>".
#pragma once

#include <stdexcept>
#include <string>

#include "core/exit_codes.hpp"

namespace syncpipe {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Generic failure (exit 1).
struct RuntimeError : Error {
  explicit RuntimeError(const std::string& w) : Error(exit_code::kError, w) {}
};
// Bad command line (exit 64).
struct UsageError : Error {
  explicit UsageError(const std::string& w) : Error(exit_code::kUsage, w) {}
};
// Untrusted input that cannot be used: stream, SQLite file, config (exit 65).
struct InputError : Error {
  explicit InputError(const std::string& w) : Error(exit_code::kBadInput, w) {}
};
// A file that does not exist or cannot be opened (exit 66).
struct NoInputError : Error {
  explicit NoInputError(const std::string& w) : Error(exit_code::kNoInput, w) {}
};
// An output file that must not be overwritten already exists (exit 73).
struct CantCreateError : Error {
  explicit CantCreateError(const std::string& w) : Error(exit_code::kCantCreate, w) {}
};
// PostgreSQL unreachable or the connection was lost (exit 75).
struct TempFailError : Error {
  explicit TempFailError(const std::string& w) : Error(exit_code::kTempFail, w) {}
};
// The lease epoch of the stream is no longer current (exit 11).
struct FencedError : Error {
  explicit FencedError(const std::string& w) : Error(exit_code::kFenced, w) {}
};
// The stream's base generation is not PostgreSQL's current one (exit 12).
struct StaleError : Error {
  explicit StaleError(const std::string& w) : Error(exit_code::kStale, w) {}
};

}  // namespace syncpipe
