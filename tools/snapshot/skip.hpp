// sync-snapshot --skip-unchanged: the local base-state cache used as a HINT.
// A row whose key hash is in the cache with the row's own hash as source hash
// is not written; it is folded into the table's "unchanged" summary instead,
// and the cache entries of the table that no source row matched are named in
// "absent_keys" records (sync-protocol(7)). The cache may be stale: sync-diff
// verifies every summary against the authoritative base and refuses the
// stream (exit 75) when they differ, so a wrong hint costs a rerun, never a
// wrong diff.
//
// Per table:
//   hint.begin_table(name);
//   for each row: if (hint.skip(kh, h)) continue; else write the row
//   hint.end_table(out);   // absent_keys records, then the unchanged record
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base_state.hpp"
#include "core/set_digest.hpp"

namespace syncpipe::ndjson {
class RecordWriter;
}

namespace syncpipe::snapshot {

class SkipHint {
 public:
  // The cache at path for client, or nullopt when it is missing, unreadable,
  // corrupt or of another client (the snapshot then writes every row).
  static std::optional<SkipHint> load(const std::string& path, const std::string& client);

  void begin_table(const std::string& name);
  // Starts loading kh's cache slot into the CPU cache (call before skip()).
  void prefetch(const Hash128& kh) const { cache_.entries.prefetch(kh); }
  // True when the row matches the cache: it is counted, not written.
  bool skip(const Hash128& kh, const Hash128& h);
  void end_table(ndjson::RecordWriter& out);

  std::int64_t generation() const { return cache_.generation; }
  std::uint64_t skipped() const { return skipped_total_; }
  std::uint64_t absent() const { return absent_total_; }

 private:
  explicit SkipHint(BaseState cache);
  void write_absent(ndjson::RecordWriter& out, std::uint64_t& named);

  BaseState cache_;
  std::vector<std::uint64_t> entries_;  // cache entries per cache table id
  std::string table_;
  std::optional<std::uint32_t> table_id_;
  std::uint64_t matched_ = 0;           // cache entries of the table the source has (any hash)
  SetDigest summary_;
  std::uint64_t skipped_total_ = 0, absent_total_ = 0;
};

}  // namespace syncpipe::snapshot
