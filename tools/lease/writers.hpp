// What a new lease holder does about the writers of older epochs
// (sync-lease(1), FENCING; cli/writer_tag.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace syncpipe::pg {
class Connection;
}

namespace syncpipe::lease {

// Ends (pg_terminate_backend, waiting up to wait_ms for each to exit) every
// backend of our own role whose writer tag names `cluster` and an epoch
// older than `epoch`, and logs each. Such a writer cannot commit any more;
// ending it releases the row locks it may hold while frozen, cut off or
// stuck inside a COPY, which would block the new holder's load. Returns how
// many were ended. REQUIRES: `epoch` is the lease we hold, committed.
int end_older_writers(pg::Connection& conn, const std::string& cluster, std::int64_t epoch, int wait_ms);

}  // namespace syncpipe::lease
