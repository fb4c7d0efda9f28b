// How a fenced writer shows itself to the other node. Each write transaction
// of sync-load under a lease sets its application_name (transaction-local,
// so safe behind a transaction-mode pooler) to writer_tag(cluster, epoch).
// A node that takes the lease over ends the backends whose tag names the
// same cluster and an older epoch: they can no longer commit (sync-load's
// final fence check fails), but a frozen or cut-off one would otherwise keep
// its row locks until its server-side timeout, or forever inside a COPY,
// and block the new leader's load (sync-lease(1), FENCING).
//
//   "sync-load 9f3c2a0b17d4e655:7"   (XXH3-64 of the cluster id, then the epoch)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace syncpipe::cli {

// The tag up to and including the ':' (a LIKE prefix: hex digits only).
std::string writer_tag_prefix(std::string_view cluster);
// At most 46 bytes: well inside application_name's 63.
std::string writer_tag(std::string_view cluster, std::int64_t epoch);

}  // namespace syncpipe::cli
