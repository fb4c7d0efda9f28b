// The body of sync-diff: reads the snapshot records after the header, keeps
// per table only a batch of changed rows, looks their target rows up in
// PostgreSQL one batch at a time and writes change and conflict records.
// Unchanged rows (h equal to the base's source hash) are never decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "classify.hpp"
#include "core/base_state.hpp"
#include "core/typemap.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "ndjson/protocol_rows.hpp"
#include "summary.hpp"

namespace syncpipe::ndjson {
class Reader;
class RecordWriter;
}  // namespace syncpipe::ndjson

namespace syncpipe::diff {

class Evolver;
class Target;

struct DiffOptions {
  std::size_t batch_rows = 2000;                       // keys per target lookup
  std::size_t batch_bytes = std::size_t{8} << 20;      // source bytes held per batch
  bool verify = false;                                 // compare every row's target
  bool skip_unchanged = false;                         // the header says skip_unchanged (summary.hpp)
};

struct DiffStats {
  std::uint64_t rows = 0, unchanged = 0, lookups = 0, drift = 0;
  std::uint64_t by_verdict[9] = {};
};

class Differ {
 public:
  Differ(Target& target, Evolver& evolver, BaseState& base, ndjson::RecordWriter& out, const std::string& client,
         const std::string& schema, const DiffOptions& opt);

  // REQUIRES: `in` is positioned after the header; the base record was written.
  void run(ndjson::Reader& in);
  const DiffStats& stats() const { return stats_; }
  // Tables left out because their key or a column type changed (evolve.hpp),
  // one message each.
  const std::vector<std::string>& stopped() const { return stopped_; }

 private:
  struct Candidate {
    Hash128 kh, h;
    Row k;
    std::string v;                 // the source row's JSON array as read, forwarded as it is
    std::string_view v_line;       // instead of v: that text in the current line (flushed before the next)
    std::optional<Hash128> image;  // hash of the source's target image
    const BaseEntry* base = nullptr;
    bool unchanged = false;        // --verify: S = B, only drift is checked
  };

  void on_table(ndjson::Reader& in);
  void on_row(ndjson::Reader& in);
  void on_table_end(ndjson::Reader& in);
  void on_summary(ndjson::Reader& in, bool absent_keys);
  void add_candidate(ndjson::Reader& in, const Hash128& kh, const Hash128& h, const BaseEntry* b, bool unchanged);
  void flush();
  void source_deletes();
  void delete_batch(const std::vector<Hash128>& khs);
  std::optional<Row> key_image(const Row& key) const;
  std::optional<Hash128> image_hash(const Row& v);
  // One classified row, ready to be written.
  struct Outcome {
    Verdict verdict = Verdict::Nothing;
    Hash128 kh;
    std::optional<Hash128> h;       // source row hash; none for a source delete
    Row k;
    std::optional<std::string_view> v;  // source row (its JSON array as read)
    std::optional<Row> target;          // target image
    std::optional<Hash128> target_h;
    const BaseEntry* base = nullptr;
    bool drift = false;
  };
  void emit(Outcome&& o);

  Target& target_;
  Evolver& evolver_;
  BaseState& base_;
  ndjson::RecordWriter& out_;
  std::string client_, schema_;
  DiffOptions opt_;
  DiffStats stats_;
  std::vector<std::uint64_t> base_rows_;  // base entries per base table id

  // The current table.
  bool in_table_ = false;
  bool stopped_table_ = false;  // the current table is stopped: its records are dropped
  std::vector<std::string> stopped_;
  ndjson::TableSchema table_;
  std::vector<PgType> types_;
  std::vector<std::string> names_;
  std::optional<std::uint32_t> base_table_;
  std::uint64_t seen_ = 0;
  std::optional<bool> fast_insert_;  // no base entry and an empty target: inserts only
  std::vector<Candidate> batch_;
  std::optional<SkipVerifier> skip_;  // --skip-unchanged streams only
  std::size_t batch_bytes_ = 0;

  CanonicalBuffer cb_;
  ndjson::JsonBuf rec_;
};

}  // namespace syncpipe::diff
