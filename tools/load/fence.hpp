// Fencing of sync-load's write transactions (sync-lease(1), FENCING).
//
// A batch is checked twice. When it opens, a plain read of the lease row
// refuses a stream whose epoch is gone before anything is written; it takes
// no lock, because from then on the server may wait on this process (inside
// a COPY, between statements) for as long as it is frozen or cut off, and
// the lease row must stay free for a takeover meanwhile. At commit, the row
// is locked FOR SHARE, epoch, holder and expiry are checked against the
// database clock, and the transaction commits, all in ONE protocol message
// that the server runs to the end without reading from the client: the lock
// lives only while the server commits, and a takeover (an UPDATE of that
// row) either waits for this commit or is seen by the check.
#pragma once

#include <optional>

#include "ndjson/protocol.hpp"

namespace syncpipe::pg {
class Connection;
class Transaction;
}  // namespace syncpipe::pg

namespace syncpipe::load {

// The transaction-local settings of a write transaction, in one round trip:
// the host id that row-level security reads; with a lease, the writer tag
// (cli/writer_tag.hpp), the lease commit_fenced() checks and, if
// idle_timeout_s > 0, idle_in_transaction_session_timeout.
void scope_write(pg::Connection& conn, const ndjson::Header& header, const std::optional<ndjson::Lease>& lease,
                 int idle_timeout_s);

// Throws FencedError unless `lease` is current and unexpired now. Takes no
// lock. No lease: an ad-hoc run, nothing to check.
void check_fence(pg::Connection& conn, const std::optional<ndjson::Lease>& lease);

// Commits `tx` if the lease set by scope_write() is still current and
// unexpired by the database clock at the moment of the commit; otherwise
// rolls back and throws FencedError. No lease: a plain commit.
void commit_fenced(pg::Transaction& tx, const std::optional<ndjson::Lease>& lease);

}  // namespace syncpipe::load
