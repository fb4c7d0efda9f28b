// Shared pieces of the sync-lease subcommands: option values, id checks and
// the transaction scope every statement runs in.
#pragma once

#include <string>
#include <string_view>

namespace syncpipe::pg {
class Transaction;
}

namespace syncpipe::lease {

// A timestamptz as ISO-8601 UTC with microseconds, formatted by PostgreSQL
// (the database clock is the only clock sync-lease uses). `expr` is SQL.
std::string iso_utc(std::string_view expr);

// REQUIRES nothing; throws UsageError unless `value` is non-empty valid UTF-8
// of at most 200 bytes without control characters. `what` names the option.
void check_id(std::string_view what, const std::string& value);

// Transaction-local settings (safe behind a transaction-mode pooler): the
// host id that row-level security reads (the cluster id IS the host id) and
// the lock timeout, so a lease row locked by a frozen leader's load makes us
// give up instead of hanging.
void scope(pg::Transaction& tx, const std::string& cluster, int lock_timeout_ms);


}  // namespace syncpipe::lease
