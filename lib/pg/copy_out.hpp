// COPY ... TO STDOUT in text format, and the decoder of its rows: what
// sync-snapshot --from-postgres reads a tenant's tables with (one row per
// next(), memory bounded by the largest row).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"

namespace syncpipe::pg {

class CopyOut {
 public:
  // REQUIRES: `copy_sql` is a COPY ... TO STDOUT statement in text format.
  CopyOut(Connection& conn, const std::string& copy_sql);
  ~CopyOut();  // reads and drops what is left so the connection is usable
  CopyOut(const CopyOut&) = delete;
  CopyOut& operator=(const CopyOut&) = delete;

  // The next row with its "\n" (split it with copy_text::split_row), valid
  // until the next call. False at the end, after the final status was
  // checked (throws DbError/TempFailError on failure).
  bool next(std::string_view& row);

 private:
  void release();

  Connection& conn_;
  char* row_ = nullptr;
  bool done_ = false;
};

namespace copy_text {

// Reverses copy_text::append_field for one field (also \b \f \v, octal and \xhh).
std::string decode_field(std::string_view field);
// Splits one row (a trailing "\n" is ignored); \N becomes nullopt.
void split_row(std::string_view line, std::vector<std::optional<std::string>>& out);

}  // namespace copy_text

}  // namespace syncpipe::pg
