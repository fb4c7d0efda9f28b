#include "loader.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <map>
#include <set>

#include "core/base_state.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "ndjson/reader.hpp"
#include "read_ahead.hpp"
#include "sinks.hpp"
#include "source_schema.hpp"
#include "verify.hpp"

namespace syncpipe::load {

namespace {

class Loader {
 public:
  Loader(Batch::Context ctx, const LoaderOptions& opt, LoadResult& result) : ctx_(ctx), opt_(opt), result_(result) {}

  void run(ndjson::Reader& in);

 private:
  void on_table(ndjson::Reader& in);
  void on_change(ndjson::Reader& in);
  void on_write(ndjson::Change& c, bool insert, const Hash128& v_hash);
  void on_record(ndjson::Change& c, const std::optional<Hash128>& v_hash);
  void on_conflict(ndjson::Reader& in, bool decided);
  bool to_image(ndjson::Change& c, std::string& reason, bool& converted);
  Hash128 target_hash(const ndjson::Change& c, bool converted, const Hash128& v_hash);
  void ensure_batch(bool bump = true);
  void flush_table();
  void finish_batch(bool final);
  void remember(const ndjson::Change& c, const std::optional<Hash128>& tgt, BaseStatus status);
  void save_cache();
  BaseState* cache();

  Batch::Context ctx_;
  LoaderOptions opt_;
  std::optional<Batch> batch_;
  std::optional<std::int64_t> job_;
  std::int64_t generation_ = 0;
  std::size_t batch_bytes_ = 0;  // input bytes of the changes in the open batch
  LoadResult& result_;
  ndjson::TableSchema table_;
  std::vector<PgType> types_;
  TableSink rows_;
  MetaSink meta_;
  CanonicalBuffer cb_;
  std::vector<std::string> names_;
  // The local base-state cache, kept in step with what is written when it
  // matched the stream's base generation; saved after the last commit.
  std::optional<BaseState> cache_;
  bool cache_tried_ = false;
  // The source's sqlite_master as the stream carries it: the captured schema
  // is refreshed from it in the last transaction (restore after an upgrade).
  std::optional<ndjson::SqliteSchema> source_schema_;
  // Per table: changes, bytes and rows by operation written by this job, and
  // which tables moved in this batch.
  std::map<std::string, TableProgress> progress_;
  std::set<std::string> touched_;
};

void Loader::run(ndjson::Reader& in) {
  using ndjson::RecordType;
  if (!in.next() || ndjson::record_type(in) != RecordType::Base)
    in.fail("expected the base record of sync-diff (pipe sync-snapshot through sync-diff first)");
  generation_ = result_.base_generation = ndjson::parse_base(in).generation;
  while (in.next()) {
    auto t = ndjson::record_type(in);
    if (t == RecordType::Table) on_table(in);
    else if (t == RecordType::Change) on_change(in);
    else if (t == RecordType::Decision) on_conflict(in, true);
    else if (t == RecordType::Conflict) on_conflict(in, false);
    else if (t == RecordType::SqliteSchema) source_schema_ = ndjson::parse_sqlite_schema(in);
    if (batch_ && batch_bytes_ >= opt_.batch_bytes) finish_batch(false);
  }
  // A run with no changes writes no tenant row and keeps the generation (so
  // both nodes' caches stay valid), but still proves the fence and records the job.
  if (!batch_) ensure_batch(job_.has_value());
  finish_batch(true);
  result_.final_generation = generation_;
  save_cache();
}

// The cache is read at the first change, not before: a run that changes
// nothing never loads it (it can be tens of MB for a large tenant).
BaseState* Loader::cache() {
  if (!cache_tried_ && !opt_.cache_path.empty()) {
    cache_tried_ = true;
    cache_ = BaseState::load(opt_.cache_path);
    if (cache_ && (cache_->client != ctx_.head->header.client || cache_->generation != result_.base_generation))
      cache_.reset();
  }
  return cache_ ? &*cache_ : nullptr;
}

void Loader::remember(const ndjson::Change& c, const std::optional<Hash128>& tgt, BaseStatus status) {
  if (auto* b = cache()) b->put(c.kh, b->table_id(c.table), *c.h, tgt, status);
}

void Loader::save_cache() {
  // A run that changed no base state leaves the generation, and so the file, as it was.
  if (!cache_ || generation_ == result_.base_generation) return;
  cache_->generation = generation_;
  try {
    cache_->save(opt_.cache_path);
  } catch (const Error& e) {
    log::warn("base-state cache not saved (the next run refreshes it from PostgreSQL): {}", e.what());
  }
}

void Loader::ensure_batch(bool bump) {
  if (batch_) return;
  if (opt_.input) opt_.input->wait_buffered(opt_.batch_bytes);
  bool first = !job_;
  batch_.emplace(ctx_, generation_, job_);
  batch_->open(bump);
  if (first) meta_.set_new_base(batch_->base_is_empty());
  generation_ = batch_->generation();
  job_ = batch_->job_id();
}

void Loader::flush_table() {
  if (batch_ && !rows_.empty()) rows_.flush(ctx_.head->header.client, *job_);
}

void Loader::finish_batch(bool final) {
  flush_table();
  for (const auto& t : touched_) meta_.progress(t, progress_[t]);
  touched_.clear();
  meta_.flush(batch_->conn(), ctx_.head->header.host, ctx_.head->header.client, *job_);
  if (final && source_schema_ && refresh_source_schema(batch_->conn(), ctx_.head->header.client, *source_schema_))
    log::info("{}: the captured source schema now has the file's {} objects (restore rebuilds them)",
              ctx_.head->header.client, source_schema_->objects.size());
  batch_->commit(result_.counts, final);
  batch_.reset();
  batch_bytes_ = 0;
  ++result_.batches_committed;
  const auto& c = result_.counts;
  if (isatty(2) && log::level() >= log::Level::Info)
    log::info("{}: {} rows written, {} MB so far", ctx_.head->header.client,
              c.inserted + c.updated + c.deleted + c.quarantined + c.recorded, c.bytes >> 20);
}

void Loader::on_table(ndjson::Reader& in) {
  flush_table();
  table_ = ndjson::parse_table(in);
  if (table_.pg_types.size() != table_.columns.size())
    in.fail(fmt::format("table \"{}\" has no pg_types (the stream must come from sync-diff)", table_.name));
  types_.clear();
  for (const auto& p : table_.pg_types) {
    auto t = parse_pg_type(p);
    if (!t) in.fail(fmt::format("table \"{}\": unsupported column type \"{}\"", table_.name, p));
    types_.push_back(*t);
  }
  names_ = table_.column_names();
  rows_.reset(ctx_.conn, ctx_.head->header.schema, &table_, types_);
}

// Checks every value first (a quarantined row keeps its source values), then
// converts in place: a 30 MB value is not copied. `converted`: some value's
// image differs from the value.
bool Loader::to_image(ndjson::Change& c, std::string& reason, bool& converted) {
  for (std::size_t i = 0; i < c.v.size(); ++i) {
    if (auto why = check_target(c.v[i], types_[i])) {
      reason = fmt::format("column \"{}\": {}", names_[i], *why);
      return false;
    }
  }
  for (auto k : table_.key_index)
    if (c.v[k].is_null()) {
      reason = fmt::format("key column \"{}\" is NULL", names_[k]);
      return false;
    }
  converted = false;
  for (std::size_t i = 0; i < c.v.size(); ++i) {
    if (same_image(c.v[i], types_[i])) continue;
    converted = true;
    convert_target(c.v[i], types_[i]);
  }
  return true;
}

// The row hash of the target image: that of v, already computed when its
// hashes were checked, unless a value was converted.
Hash128 Loader::target_hash(const ndjson::Change& c, bool converted, const Hash128& v_hash) {
  return converted ? row_hash(cb_, names_, c.v) : v_hash;
}

void Loader::on_change(ndjson::Reader& in) {
  auto c = ndjson::parse_change(in);
  if (c.table != table_.name) in.fail(fmt::format("change for table \"{}\" outside its table record", c.table));
  if (c.has_v && c.v.size() != table_.columns.size()) in.fail("row has a different number of values than columns");
  if (c.op != "delete" && !c.h) in.fail("change without a row hash \"h\"");
  if (c.has_v) c.k = table_.key_of(c.v);
  std::optional<Hash128> v_hash;
  if (auto why = check_hashes(cb_, names_, c, v_hash); !why.empty()) in.fail(why);
  ensure_batch();
  const JobCounts before = result_.counts;
  if (c.op == "insert" || c.op == "update") {
    if (!c.has_v) in.fail(fmt::format("{} of table \"{}\" without values", c.op, c.table));
    on_write(c, c.op == "insert", *v_hash);
  } else if (c.op == "record") on_record(c, v_hash);
  else if (c.op == "delete") {
    rows_.remove(c.kh, c.k);
    if (auto* b = cache()) b->entries.erase(c.kh);
    ++result_.counts.deleted;
  } else in.fail(fmt::format("unknown change op \"{}\"", c.op));
  auto size = static_cast<std::int64_t>(in.line().size());
  result_.counts.bytes += size;
  batch_bytes_ += in.line().size();
  auto& p = progress_[c.table];
  p.add(before, result_.counts, size);
  touched_.insert(c.table);
}

// On success c.v holds the target image.
void Loader::on_write(ndjson::Change& c, bool insert, const Hash128& v_hash) {
  std::string reason;
  bool converted = false;
  if (!to_image(c, reason, converted)) {
    meta_.quarantine(c.table, c.kh, c.k, reason, c.v);
    meta_.state(c.table, c.kh, c.k, *c.h, std::nullopt, "quarantined");
    remember(c, std::nullopt, BaseStatus::Quarantined);
    ++result_.counts.quarantined;
    log::warn("{}: table {} key {}: quarantined: {}", ctx_.head->header.client, c.table,
              ndjson::values_json(c.k), reason);
    return;
  }
  if (insert) rows_.insert(c.v); else rows_.update(c.v);
  auto tgt = target_hash(c, converted, v_hash);
  meta_.state(c.table, c.kh, c.k, *c.h, tgt, "loaded");
  remember(c, tgt, BaseStatus::Loaded);
  ++(insert ? result_.counts.inserted : result_.counts.updated);
}

void Loader::on_record(ndjson::Change& c, const std::optional<Hash128>& v_hash) {
  std::string reason;
  bool converted = false;
  if (c.has_v && to_image(c, reason, converted)) {
    auto tgt = target_hash(c, converted, *v_hash);
    meta_.state(c.table, c.kh, c.k, *c.h, tgt, "loaded");
    remember(c, tgt, BaseStatus::Loaded);
  } else {
    meta_.state(c.table, c.kh, c.k, *c.h, std::nullopt, "absent");
    remember(c, std::nullopt, BaseStatus::Absent);
  }
  ++result_.counts.recorded;
}

void Loader::on_conflict(ndjson::Reader& in, bool decided) {
  auto d = decided ? ndjson::parse_decision(in) : ndjson::undecided(ndjson::parse_conflict(in));
  ensure_batch();
  meta_.conflict(d);
  batch_bytes_ += in.line().size();
  ++result_.counts.conflicts;
  if (d.resolution == "unresolved") ++result_.counts.unresolved;
}

}  // namespace

void apply_stream(ndjson::Reader& in, Batch::Context ctx, const LoaderOptions& opt, LoadResult& result) {
  result = LoadResult{};
  try {
    Loader(ctx, opt, result).run(in);
  } catch (const AlreadyApplied&) {
    result.already_applied = true;
  }
}

}  // namespace syncpipe::load
