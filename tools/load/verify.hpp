// Nothing unverified is stored: before a change is written, its key hash is
// checked against its key and its row hash against its values (sync-load(1),
// INPUT). The hashes become the base state, which every later run trusts to
// say "unchanged"; a value altered between two stages with its hash left as
// it was would otherwise stay wrong in PostgreSQL for good.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "ndjson/protocol.hpp"

namespace syncpipe::load {

// Why the change's hashes do not match (one line naming table and key), or
// "" when they do. `names` are the table's column names. On success
// `v_hash` is the row hash of v (nullopt without v), so the caller can reuse
// it as the target hash when the target image is v itself.
// REQUIRES: c.k is the key of c.v when c has v.
std::string check_hashes(CanonicalBuffer& cb, const std::vector<std::string>& names, const ndjson::Change& c,
                         std::optional<Hash128>& v_hash);

}  // namespace syncpipe::load
