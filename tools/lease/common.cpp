#include "common.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text_check.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::lease {

std::string iso_utc(std::string_view expr) {
  return fmt::format(R"(to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))", expr);
}

void check_id(std::string_view what, const std::string& value) {
  if (value.empty()) throw UsageError(fmt::format("--{} must not be empty", what));
  if (value.size() > 200) throw UsageError(fmt::format("--{} is longer than 200 bytes", what));
  if (!valid_utf8(value)) throw UsageError(fmt::format("--{} is not valid UTF-8", what));
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) throw UsageError(fmt::format("--{} contains a control character", what));
  }
}

void scope(pg::Transaction& tx, const std::string& cluster, int lock_timeout_ms) {
  tx.set_local("syncpipe.host_id", cluster);
  tx.set_local("lock_timeout", std::to_string(lock_timeout_ms));
}

}  // namespace syncpipe::lease
