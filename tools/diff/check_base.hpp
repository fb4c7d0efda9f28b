// sync-diff --against-base: the proof of a restore. Reads a snapshot (of the
// restored file) and checks, without writing anything, that its rows are
// exactly the tenant's base state in PostgreSQL: every row's key hash is a
// base entry of the same table whose source hash is the row's hash, and
// every base entry that stands for a source row (loaded or quarantined) was
// seen. Counts per table go to stderr; any difference throws RuntimeError
// (exit 1) naming the table and the key (sync-diff(1), --against-base).
#pragma once

#include "ndjson/protocol.hpp"

namespace syncpipe::ndjson {
class Reader;
}

namespace syncpipe::diff {

class Target;

void check_against_base(ndjson::Reader& in, Target& target, const ndjson::Header& h);

}  // namespace syncpipe::diff
