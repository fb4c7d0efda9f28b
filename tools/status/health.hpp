// Health rules of sync-status (sync-status(1), EXIT STATUS):
//   - every cluster shown needs a leader: a node holding an unexpired lease;
//   - every sync-enabled, non-archived tenant needs a success newer than
//     kStaleFactor x its interval (a tenant that never succeeded counts from
//     its registration);
//   - its latest job must not have failed.
// Jobs that were fenced or stale are a takeover or a rerun, not a failure.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace syncpipe::status {

inline constexpr int kStaleFactor = 3;

// True when the tenant's last success (or registration) is older than
// kStaleFactor intervals.
bool is_stale(const Tenant& t);

// One line per problem ("acme: last job failed: ..."); empty = healthy.
std::vector<std::string> problems(const Snapshot& s, const std::string& host, bool all_hosts);

}  // namespace syncpipe::status
