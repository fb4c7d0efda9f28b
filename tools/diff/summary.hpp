// sync-diff's side of sync-snapshot --skip-unchanged (sync-protocol(7),
// "unchanged", "absent_keys"). The snapshot skipped rows by its local cache,
// which may be stale; this checks every table's summary against the
// AUTHORITATIVE base (the one at PostgreSQL's generation):
//
//   base entries of the table
//     - seen as explicit rows in the stream           (diffed as usual)
//     - named in absent_keys                          (the source deleted them)
//     = exactly "rows" entries whose (kh, src) digest is "digest"
//
// Per table the verifier keeps the digest of all the table's base entries
// and removes each entry as a row or an absent key names it, so checking a
// summary costs nothing per skipped row. A summary that does not match means
// the snapshot's cache was stale: StaleHintError (exit 75); the caller
// refreshes the cache and the next run succeeds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base_state.hpp"
#include "core/error.hpp"
#include "core/set_digest.hpp"

namespace syncpipe::ndjson {
class Reader;
}

namespace syncpipe::diff {

// The snapshot skipped rows by a local cache that is not the base at
// PostgreSQL's generation (exit 75: run again).
struct StaleHintError : TempFailError {
  explicit StaleHintError(const std::string& w) : TempFailError(w) {}
};

class SkipVerifier {
 public:
  explicit SkipVerifier(BaseState& base);

  void begin_table(const std::string& name, std::optional<std::uint32_t> base_table);
  // A stream row matched base entry e for the first time.
  void saw(const Hash128& kh, const BaseEntry& e);
  void on_absent(ndjson::Reader& in);
  // Verifies the table's summary; returns its row count. Throws
  // StaleHintError when it does not match the base.
  std::uint64_t on_unchanged(ndjson::Reader& in);
  // At table_end: the base keys the source deleted, in chunks of at most
  // `chunk`, without the entries kept by the target. Fails `in` when the
  // table had no unchanged record.
  std::vector<std::vector<Hash128>> deletes(ndjson::Reader& in, std::size_t chunk) const;

 private:
  BaseState& base_;
  std::vector<SetDigest> unsent_;  // per base table id: entries not yet named by the stream
  std::string table_;
  std::optional<std::uint32_t> base_table_;
  std::vector<Hash128> absent_;    // named absent keys of the table that are in the base
  std::uint64_t named_ = 0;        // all keys named absent in the table
  bool summarized_ = false;
};

}  // namespace syncpipe::diff
