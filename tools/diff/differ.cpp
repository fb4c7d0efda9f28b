#include "differ.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "evolve.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"
#include "target.hpp"

namespace syncpipe::diff {

namespace {

// Quotes doubled, for an SQL literal an operator copies from a message.
std::string sql_quote(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out;
}

}  // namespace

Differ::Differ(Target& target, Evolver& evolver, BaseState& base, ndjson::RecordWriter& out,
               const std::string& client, const std::string& schema, const DiffOptions& opt)
    : target_(target), evolver_(evolver), base_(base), out_(out), client_(client), schema_(schema), opt_(opt) {
  if (opt_.batch_rows == 0) opt_.batch_rows = 1;
  base_rows_.assign(base_.tables.size(), 0);
  for (auto& [kh, e] : base_.entries) {
    e.seen = false;
    ++base_rows_[e.table];
  }
  if (opt_.skip_unchanged) skip_.emplace(base_);
}

void Differ::run(ndjson::Reader& in) {
  while (in.next()) {
    const auto type = ndjson::record_type(in);
    if (stopped_table_) {  // nothing of a stopped table goes on: no change, no delete
      if (type == ndjson::RecordType::TableEnd && ndjson::parse_table_end(in).table == table_.name)
        stopped_table_ = in_table_ = false;
      continue;
    }
    switch (type) {
      case ndjson::RecordType::Row: on_row(in); break;
      case ndjson::RecordType::Table: on_table(in); break;
      case ndjson::RecordType::TableEnd: on_table_end(in); break;
      case ndjson::RecordType::Unchanged: on_summary(in, false); break;
      case ndjson::RecordType::AbsentKeys: on_summary(in, true); break;
      default: out_.line(in.line());  // not ours: forwarded byte for byte
    }
  }
  if (in_table_)
    throw InputError(fmt::format("stdin: the stream ended inside table \"{}\" (no table_end record)", table_.name));
}

void Differ::on_table(ndjson::Reader& in) {
  if (in_table_) in.fail(fmt::format("table record inside table \"{}\" (no table_end before it)", table_.name));
  table_ = ndjson::parse_table(in);
  in_table_ = true;
  if (auto why = evolver_.fit(table_, target_)) {
    stopped_.push_back(fmt::format("table {} stopped ({}): its rows are not synced until an admin runs "
                                   "SELECT sync_metadata.reset_table('{}', '{}')",
                                   table_.name, *why, sql_quote(client_), sql_quote(table_.name)));
    log::warn("{}: {}", client_, stopped_.back());
    stopped_table_ = true;
    return;
  }
  const auto* cols = target_.columns(table_.name);
  if (!cols)
    throw RuntimeError(fmt::format("table {} of tenant {} is not provisioned in schema {} (re-run provisioning)",
                                   table_.name, client_, schema_));
  types_.clear();
  table_.pg_types.clear();
  for (const auto& c : table_.columns) {
    auto it = cols->find(c.name);
    if (it == cols->end())
      throw RuntimeError(fmt::format("column {} of table {} of tenant {} is not provisioned in schema {} "
                                     "(re-run provisioning)", c.name, table_.name, client_, schema_));
    auto t = parse_pg_type(it->second);
    if (!t)
      throw RuntimeError(fmt::format("column {} of table {} in schema {} has type {}, which syncpipe does not map",
                                     c.name, table_.name, schema_, it->second));
    types_.push_back(*t);
    table_.pg_types.emplace_back(pg_type_name(*t));
  }
  names_ = table_.column_names();
  base_table_ = base_.find_table(table_.name);
  seen_ = 0;
  if (skip_) skip_->begin_table(table_.name, base_table_);
  fast_insert_.reset();  // decided at the first new row, so empty tables cost no query
  rec_.clear();
  ndjson::write_table(rec_, table_);
  out_.record(rec_);
  in_table_ = true;
}

void Differ::on_row(ndjson::Reader& in) {
  const auto row = ndjson::parse_row(in);
  if (!in_table_ || row.table != table_.name) in.fail("row outside its table");
  const Hash128& kh = row.kh;
  const Hash128& h = row.h;
  ++stats_.rows;
  const BaseEntry* b = nullptr;
  if (auto it = base_.entries.find(kh); it != base_.entries.end()) {
    if (!it->second.seen) {
      ++seen_;
      if (skip_) skip_->saw(kh, it->second);
    }
    it->second.seen = true;
    b = &it->second;
    if (b->src == h) {  // the hot path: nothing to do, v is never decoded
      ++stats_.unchanged;
      if (opt_.verify) add_candidate(in, kh, h, b, true);
      return;
    }
  }
  if (!b && !fast_insert_)
    fast_insert_ = (!base_table_ || base_rows_[*base_table_] == 0) && target_.is_empty(table_.name);
  if (!b && *fast_insert_) {
    // Only the key is decoded; v is forwarded as read.
    Outcome o{Verdict::Insert, kh, h, {}, std::nullopt, std::nullopt, std::nullopt, nullptr, false};
    std::size_t n = 0;
    ndjson::row_values_at(in, table_.key_index, o.k, n);
    if (n != table_.columns.size()) in.fail("row has a different number of values than columns");
    o.v = ndjson::row_values_json(in);
    emit(std::move(o));
    return;
  }
  add_candidate(in, kh, h, b, false);
}

void Differ::add_candidate(ndjson::Reader& in, const Hash128& kh, const Hash128& h, const BaseEntry* b,
                           bool unchanged) {
  Candidate c{kh, h, {}, {}, {}, std::nullopt, b, unchanged};
  {
    Row v;
    ndjson::row_values(in, v);
    if (v.size() != table_.columns.size()) in.fail("row has a different number of values than columns");
    if (!unchanged) c.image = image_hash(v);
    c.k = table_.key_of(v);
  }  // the decoded row is freed before its text is copied
  auto v_json = ndjson::row_values_json(in);
  batch_bytes_ += in.line().size();
  bool last = batch_.size() + 1 >= opt_.batch_rows || batch_bytes_ >= opt_.batch_bytes;
  if (last) c.v_line = v_json;  // flushed while its line is current: a 30 MB row is not copied
  else c.v = v_json;
  batch_.push_back(std::move(c));
  if (last) flush();
}

// The row hash of v's target image, one column at a time (a 30 MB value is
// not copied into a second row).
std::optional<Hash128> Differ::image_hash(const Row& v) {
  for (auto k : table_.key_index)
    if (v[k].is_null()) return std::nullopt;  // sync-load quarantines it
  for (std::size_t i = 0; i < v.size(); ++i)
    if (check_target(v[i], types_[i])) return std::nullopt;  // sync-load quarantines it
  Value img;  // a converted value, read by row_hash_at before the next one
  return row_hash_at(cb_, names_, v.size(), [&](std::size_t i) {
    if (v[i].is_null() || same_image(v[i], types_[i])) return ref(v[i]);  // the common case: no copy
    img = v[i];
    convert_target(img, types_[i]);
    return ref(img);
  });
}

std::optional<Row> Differ::key_image(const Row& key) const {
  if (key.size() != table_.key_index.size()) return std::nullopt;
  Row out(key.size());
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i].is_null()) return std::nullopt;  // PostgreSQL keys are never NULL
    if (to_target(key[i], types_[table_.key_index[i]], out[i])) return std::nullopt;
  }
  return out;
}

void Differ::flush() {
  if (batch_.empty()) return;
  std::vector<std::optional<Row>> keys(batch_.size());
  for (std::size_t i = 0; i < batch_.size(); ++i) keys[i] = key_image(batch_[i].k);
  auto found = target_.lookup(table_, types_, keys);
  ++stats_.lookups;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    auto& c = batch_[i];
    Outcome o;
    o.kh = c.kh;
    o.h = c.h;
    o.k = std::move(c.k);
    o.base = c.base;
    o.target_h = found.hash(i, cb_, names_);
    if (c.unchanged) {
      if (!drifted(*c.base, o.target_h)) continue;
      ++stats_.drift;
      o.verdict = Verdict::UpdateUpdate;
      o.drift = true;
    } else {
      o.verdict = classify({c.base, c.h, c.image, o.target_h});
    }
    o.v = c.v_line.empty() ? std::string_view(c.v) : c.v_line;  // batch_ outlives the emit
    if (is_conflict(o.verdict)) o.target = found.row(i);  // only a conflict record carries the target row
    emit(std::move(o));
  }
  batch_.clear();
  batch_bytes_ = 0;
}

void Differ::on_table_end(ndjson::Reader& in) {
  if (!in_table_ || ndjson::parse_table_end(in).table != table_.name) in.fail("table_end without its table record");
  flush();
  if (skip_) {
    for (const auto& khs : skip_->deletes(in, opt_.batch_rows)) delete_batch(khs);
  } else {
    source_deletes();
  }
  out_.line(in.line());
  in_table_ = false;
}

// The summary records of a --skip-unchanged stream (summary.hpp).
void Differ::on_summary(ndjson::Reader& in, bool absent_keys) {
  auto type = ndjson::record_type_name(absent_keys ? ndjson::RecordType::AbsentKeys : ndjson::RecordType::Unchanged);
  if (!skip_) in.fail(fmt::format("{} record in a stream whose header does not say skip_unchanged", type));
  if (!in_table_) in.fail(fmt::format("{} record outside a table", type));
  if (absent_keys) return skip_->on_absent(in);
  auto n = skip_->on_unchanged(in);
  stats_.rows += n;
  stats_.unchanged += n;
}

// Base entries of this table that no source row matched: the source deleted them.
void Differ::source_deletes() {
  if (!base_table_ || seen_ == base_rows_[*base_table_]) return;
  std::vector<Hash128> khs;
  for (const auto& [kh, e] : base_.entries) {
    if (e.table != *base_table_ || e.seen || kept_by_target(e)) continue;
    khs.push_back(kh);
    if (khs.size() >= opt_.batch_rows) {
      delete_batch(khs);
      khs.clear();
    }
  }
  if (!khs.empty()) delete_batch(khs);
}

void Differ::delete_batch(const std::vector<Hash128>& khs) {
  auto keys = target_.keys_of(khs);
  if (keys.size() != khs.size())
    throw RuntimeError(fmt::format("tenant {}: {} base entries of table {} are missing from sync_metadata.row_state "
                                   "(a stale local cache? rerun with --no-cache)",
                                   client_, khs.size() - keys.size(), table_.name));
  std::vector<std::optional<Row>> images(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].second.size() != table_.key.size())
      throw RuntimeError(fmt::format("tenant {}: table {}: a base key has {} values, the table's key {} "
                                     "(the key changed since the last load)",
                                     client_, table_.name, keys[i].second.size(), table_.key.size()));
    images[i] = key_image(keys[i].second);
  }
  auto found = target_.lookup(table_, types_, images);
  ++stats_.lookups;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Outcome o;
    o.kh = keys[i].first;
    o.k = std::move(keys[i].second);
    o.base = &base_.entries.at(o.kh);
    o.target_h = found.hash(i, cb_, names_);
    o.verdict = classify({o.base, std::nullopt, std::nullopt, o.target_h});
    if (is_conflict(o.verdict)) o.target = found.row(i);
    emit(std::move(o));
  }
}

void Differ::emit(Outcome&& o) {
  ++stats_.by_verdict[static_cast<int>(o.verdict)];
  if (o.verdict == Verdict::Nothing) return;
  if (is_conflict(o.verdict)) {
    ndjson::Conflict c;  // "v" is forwarded as read (v_json), never decoded
    c.kind = verdict_name(o.verdict);
    c.table = table_.name;
    c.kh = o.kh;
    c.h = o.h;
    c.k = std::move(o.k);
    if (o.v) c.v_json = *o.v;
    c.target = std::move(o.target);
    if (o.base) c.base_h = o.base->src;
    c.target_h = o.target_h;
    c.drift = o.drift;
    c.settled = target_.settlement(c.kh, c.h, c.target_h);
    ndjson::write_conflict(out_, rec_, c);
    return;
  }
  ndjson::Change c;
  c.op = verdict_name(o.verdict);
  c.table = table_.name;
  c.kh = o.kh;
  c.k = std::move(o.k);
  if (o.verdict != Verdict::Delete) {
    c.h = o.h;
    c.has_v = o.v.has_value();
    if (o.v) c.v_json = *o.v;  // the source's bytes, not decoded and encoded again
  }
  ndjson::write_change(out_, rec_, c);
}

}  // namespace syncpipe::diff
