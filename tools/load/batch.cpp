#include "batch.hpp"

#include <fmt/format.h>

#include "cli/registration.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "fence.hpp"

namespace syncpipe::load {

Batch::Batch(Context ctx, std::int64_t expected_generation, std::optional<std::int64_t> job_id)
    : ctx_(ctx), generation_(expected_generation), job_id_(job_id) {}

void Batch::open(bool bump) {
  bool first = !job_id_.has_value();
  tx_ = std::make_unique<pg::Transaction>(*ctx_.conn);
  scope_write(*ctx_.conn, ctx_.head->header, ctx_.head->lease, ctx_.idle_timeout_s);
  check_fence(*ctx_.conn, ctx_.head->lease);
  if (first) cli::check_registration(*ctx_.conn, ctx_.head->header);
  if (first && already_applied()) throw AlreadyApplied{};
  advance_generation(bump);
  ensure_job();
}

bool Batch::already_applied() {
  auto done = ctx_.conn->exec_params("SELECT 1 FROM sync_metadata.sync_jobs WHERE stream_id = $1 AND status = 'success'",
                                     {pg::Param::text(ctx_.head->header.stream_id)});
  return done.ntuples() == 1;
}

bool Batch::base_is_empty() {
  auto r = ctx_.conn->exec_params(
      "SELECT NOT EXISTS (SELECT 1 FROM sync_metadata.row_state WHERE client_id = $1)",
      {pg::Param::text(ctx_.head->header.client)});
  return r.get(0, 0) == "t";
}

void Batch::advance_generation(bool bump) {
  const auto& client = ctx_.head->header.client;
  auto r = ctx_.conn->exec_params(
      bump ? "UPDATE sync_metadata.client_deployments SET generation = generation + 1, updated_at = now() "
             "WHERE client_id = $1 AND generation = $2 RETURNING generation"
           : "SELECT generation FROM sync_metadata.client_deployments WHERE client_id = $1 AND generation = $2",
      {pg::Param::text(client), pg::Param::int64(generation_)});
  if (r.ntuples() == 1) {
    generation_ = r.get_int64(0, 0);
    return;
  }
  throw StaleError(fmt::format("tenant {}: base generation {} is no longer current; run the pipeline again",
                               client, generation_));
}

void Batch::ensure_job() {
  if (job_id_) return;
  const auto& h = ctx_.head->header;
  const auto& lease = ctx_.head->lease;
  auto r = ctx_.conn->exec_params(
      "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, node_name, epoch, status) "
      "VALUES ($1, $2, $3, $4, $5, 'running') ON CONFLICT (stream_id) DO UPDATE SET status = 'running', "
      "error = NULL, started_at = now(), finished_at = NULL, node_name = EXCLUDED.node_name, epoch = EXCLUDED.epoch "
      "RETURNING job_id",
      {pg::Param::text(h.stream_id), pg::Param::text(h.host), pg::Param::text(h.client),
       pg::Param::text(ctx_.node), lease ? pg::Param::int64(lease->epoch) : pg::Param::null()});
  job_id_ = r.get_int64(0, 0);
}

void Batch::commit(const JobCounts& c, bool final) {
  ctx_.conn->exec_params(
      "UPDATE sync_metadata.sync_jobs SET rows_inserted = $2, rows_updated = $3, rows_deleted = $4, "
      "rows_quarantined = $5, rows_recorded = $6, conflicts = $7, conflicts_unresolved = $8, bytes = $9, "
      "status = CASE WHEN $10 THEN 'success' ELSE status END, "
      "finished_at = CASE WHEN $10 THEN clock_timestamp() END WHERE job_id = $1",
      {pg::Param::int64(*job_id_), pg::Param::int64(c.inserted), pg::Param::int64(c.updated),
       pg::Param::int64(c.deleted), pg::Param::int64(c.quarantined), pg::Param::int64(c.recorded),
       pg::Param::int64(c.conflicts), pg::Param::int64(c.unresolved), pg::Param::int64(c.bytes),
       pg::Param::boolean(final)});
  // Only the last batch waits for its WAL to reach disk. An earlier batch a
  // server crash could lose is lost whole (rows, base state, generation
  // together), as if the run had stopped before it; and the last commit
  // flushes the WAL of every batch before it.
  if (!final) tx_->set_local("synchronous_commit", "off");
  commit_fenced(*tx_, ctx_.head->lease);
  tx_.reset();
}

void record_failure(Batch::Context ctx, const std::string& error) noexcept {
  try {
    if (ctx.conn->is_bad()) return;
    pg::Transaction tx(*ctx.conn);
    scope_write(*ctx.conn, ctx.head->header, ctx.head->lease, 0);
    check_fence(*ctx.conn, ctx.head->lease);
    const auto& h = ctx.head->header;
    ctx.conn->exec_params(
        "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, node_name, status, error, finished_at) "
        "VALUES ($1, $2, $3, $4, 'failed', $5, clock_timestamp()) ON CONFLICT (stream_id) DO UPDATE "
        "SET status = 'failed', error = EXCLUDED.error, finished_at = EXCLUDED.finished_at",
        {pg::Param::text(h.stream_id), pg::Param::text(h.host), pg::Param::text(h.client), pg::Param::text(ctx.node),
         pg::Param::text(error)});
    commit_fenced(tx, ctx.head->lease);
  } catch (const std::exception& e) {
    log::warn("could not record the failed job: {}", e.what());
  }
}

}  // namespace syncpipe::load
