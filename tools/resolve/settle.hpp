// The operator's side of manual conflicts, against sync_metadata.conflict_log:
// list the unresolved ones, and settle one. Settling only records the
// decision (settled_value); the next sync run applies it and marks the row
// resolved (sync-resolve(1), SETTLING).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace syncpipe::resolve {

struct AdminOptions {
  std::string dsn;
  std::string host;                   // sets syncpipe.host_id for row-level security
  std::optional<std::string> client;  // --list: one tenant only
  bool json = false;                  // --list: one JSON object per line
};

// Prints the unresolved conflicts. Returns how many there are.
std::int64_t list_conflicts(const AdminOptions& opt);

// take: "source", "target" or "value" (then `value` is a JSON array of
// protocol values, sync-protocol(7) VALUES). Throws RuntimeError when there
// is no unresolved conflict `id` visible to the host.
void settle_conflict(const AdminOptions& opt, std::int64_t id, const std::string& take, const std::string& value);

}  // namespace syncpipe::resolve
