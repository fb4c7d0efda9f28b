// One write transaction of sync-load. Opening it checks the fence (the
// stream's lease epoch must be current and unexpired) and, in the first
// batch, that the header names the tenant's registered schema and host, and
// advances the tenant's base generation from the one the stream was computed
// against, so a stale stream or a second writer is refused before anything
// is written. Its commit checks the fence again, atomically (fence.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ndjson/protocol.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::load {

struct JobCounts {
  std::int64_t inserted = 0, updated = 0, deleted = 0, quarantined = 0, recorded = 0;
  std::int64_t conflicts = 0, unresolved = 0, bytes = 0;
};

// Thrown by open() when this very stream was applied before: nothing to do.
struct AlreadyApplied {};

class Batch {
 public:
  struct Context {
    pg::Connection* conn;
    const ndjson::StreamHead* head;
    std::string node;
    int idle_timeout_s = 0;  // 0: none (ad-hoc runs)
  };

  Batch(Context ctx, std::int64_t expected_generation, std::optional<std::int64_t> job_id);
  // Starts the transaction, fences, checks the registration (first batch),
  // bumps the generation (if bump) and makes sure the job row exists.
  // Throws FencedError, StaleError, InputError or AlreadyApplied.
  void open(bool bump);
  // Updates the job row and commits if the fence still holds (else throws
  // FencedError, nothing committed). `final` marks the job succeeded.
  void commit(const JobCounts& counts, bool final);
  // True when the tenant has no base state at all (a first sync): every
  // base-state row this job writes is then new. Under the fence and the
  // generation check nobody else can add one meanwhile.
  bool base_is_empty();
  bool is_open() const { return tx_ != nullptr; }
  std::int64_t generation() const { return generation_; }
  std::int64_t job_id() const { return job_id_.value_or(0); }
  pg::Connection& conn() { return *ctx_.conn; }
  const ndjson::StreamHead& head() const { return *ctx_.head; }

 private:
  bool already_applied();
  void advance_generation(bool bump);
  void ensure_job();

  Context ctx_;
  std::int64_t generation_;
  std::optional<std::int64_t> job_id_;
  std::unique_ptr<pg::Transaction> tx_;
};

// Records a failed run in sync_jobs, in its own fenced transaction; never
// throws. Not called for fenced or stale runs: those must write nothing.
void record_failure(Batch::Context ctx, const std::string& error) noexcept;

}  // namespace syncpipe::load
