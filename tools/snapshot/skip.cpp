#include "skip.hpp"

#include "ndjson/json_out.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/writer.hpp"

namespace syncpipe::snapshot {

std::optional<SkipHint> SkipHint::load(const std::string& path, const std::string& client) {
  auto cache = BaseState::load(path);
  if (!cache || cache->client != client) return std::nullopt;
  return SkipHint(std::move(*cache));
}

SkipHint::SkipHint(BaseState cache) : cache_(std::move(cache)), entries_(cache_.tables.size(), 0) {
  for (auto& [kh, e] : cache_.entries) {
    e.seen = false;
    if (e.table < entries_.size()) ++entries_[e.table];
  }
}

void SkipHint::begin_table(const std::string& name) {
  table_ = name;
  table_id_ = cache_.find_table(name);
  matched_ = 0;
  summary_ = SetDigest{};
}

bool SkipHint::skip(const Hash128& kh, const Hash128& h) {
  if (!table_id_) return false;
  auto it = cache_.entries.find(kh);
  if (it == cache_.entries.end() || it->second.table != *table_id_) return false;
  auto& e = it->second;
  if (!e.seen) ++matched_;
  e.seen = true;
  if (e.src != h) return false;
  summary_.add(kh, h);
  return true;
}

// The cache entries of the table that no source row matched, in chunks.
void SkipHint::write_absent(ndjson::RecordWriter& out, std::uint64_t& named) {
  if (!table_id_ || matched_ == entries_[*table_id_]) return;
  ndjson::AbsentKeys chunk{table_, {}};
  ndjson::JsonBuf rec;
  auto send = [&] {
    rec.clear();
    ndjson::write_absent_keys(rec, chunk);
    out.record(rec);
    chunk.kh.clear();
  };
  for (const auto& [kh, e] : cache_.entries) {
    if (e.table != *table_id_ || e.seen) continue;
    chunk.kh.push_back(kh);
    ++named;
    if (chunk.kh.size() == ndjson::kAbsentChunk) send();
  }
  if (!chunk.kh.empty()) send();
}

void SkipHint::end_table(ndjson::RecordWriter& out) {
  std::uint64_t named = 0;
  write_absent(out, named);
  ndjson::JsonBuf rec;
  ndjson::write_unchanged(rec, {table_, summary_.count(), named, summary_.digest()});
  out.record(rec);
  skipped_total_ += summary_.count();
  absent_total_ += named;
}

}  // namespace syncpipe::snapshot
