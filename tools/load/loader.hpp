// Applies a change stream (sync-diff / sync-resolve output) to the tenant's
// schema in batches: each batch is one fenced transaction holding the rows,
// their base state, quarantine and conflict-log entries and the job record,
// so a crash leaves PostgreSQL before or after a whole batch. A batch holds
// only whole records read before it commits; the job is marked succeeded
// only in the last one, after the stream's trailer was verified.
#pragma once

#include <cstdint>
#include <string>

#include "batch.hpp"

namespace syncpipe::ndjson {
class Reader;
}

namespace syncpipe::load {

class ReadAhead;

struct LoaderOptions {
  std::size_t batch_bytes = std::size_t{32} << 20;
  std::string cache_path;  // the local base-state cache to keep in step; "" for none
  // The input, when it is read ahead: a batch's transaction begins only once
  // a whole batch of input is in memory, so it never waits on the upstream
  // stages (nor holds the lease row meanwhile).
  ReadAhead* input = nullptr;
};

struct LoadResult {
  JobCounts counts;
  bool already_applied = false;
  std::int64_t base_generation = 0, final_generation = 0;
  std::int64_t batches_committed = 0;
};

// REQUIRES: `in` is positioned after the header (read_head done). `result`
// is filled as batches commit, so it tells how far a failed run got.
void apply_stream(ndjson::Reader& in, Batch::Context ctx, const LoaderOptions& opt, LoadResult& result);

}  // namespace syncpipe::load
