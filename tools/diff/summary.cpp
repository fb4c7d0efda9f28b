#include "summary.hpp"

#include <fmt/format.h>

#include "classify.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/reader.hpp"

namespace syncpipe::diff {

SkipVerifier::SkipVerifier(BaseState& base) : base_(base), unsent_(base.tables.size()) {
  for (const auto& [kh, e] : base_.entries) unsent_[e.table].add(kh, e.src);
}

void SkipVerifier::begin_table(const std::string& name, std::optional<std::uint32_t> base_table) {
  table_ = name;
  base_table_ = base_table;
  absent_.clear();
  named_ = 0;
  summarized_ = false;
}

void SkipVerifier::saw(const Hash128& kh, const BaseEntry& e) {
  if (summarized_)
    throw InputError(fmt::format("stdin: table \"{}\": a row after the table's unchanged record", table_));
  unsent_[e.table].remove(kh, e.src);
}

void SkipVerifier::on_absent(ndjson::Reader& in) {
  auto a = ndjson::parse_absent_keys(in);
  if (summarized_ || a.table != table_) in.fail("absent_keys record outside its table");
  for (const auto& kh : a.kh) {
    ++named_;
    auto it = base_.entries.find(kh);
    // A key the authoritative base does not have: no source row, no base
    // entry, nothing to do (the snapshot's cache was behind; the digest decides).
    if (it == base_.entries.end() || !base_table_ || it->second.table != *base_table_) continue;
    auto& e = it->second;
    if (e.seen)
      in.fail(fmt::format("absent_keys names key {}, which the stream has a row or absent key for", kh.hex()));
    e.seen = true;  // named once: a repeat is refused above
    unsent_[e.table].remove(kh, e.src);
    absent_.push_back(kh);
  }
}

std::uint64_t SkipVerifier::on_unchanged(ndjson::Reader& in) {
  auto u = ndjson::parse_unchanged(in);
  if (summarized_ || u.table != table_) in.fail("unchanged record outside its table, or twice");
  const auto rows = u.rows;
  const Hash128& digest = u.digest;
  if (u.absent != named_) in.fail(fmt::format("unchanged: {} absent keys announced, {} received", u.absent, named_));
  SetDigest expect = base_table_ ? unsent_[*base_table_] : SetDigest{};
  if (expect.count() != rows || expect.digest() != digest)
    throw StaleHintError(fmt::format(
        "table {}: the snapshot skipped {} rows by a stale local cache (the base at generation {} has {} rows it "
        "did not send, digest {})",
        table_, rows, base_.generation, expect.count(), expect.digest() == digest ? "equal" : "different"));
  summarized_ = true;
  return rows;
}

std::vector<std::vector<Hash128>> SkipVerifier::deletes(ndjson::Reader& in, std::size_t chunk) const {
  if (!summarized_) in.fail(fmt::format("table \"{}\" has no unchanged record (the header says skip_unchanged)", table_));
  std::vector<std::vector<Hash128>> out;
  for (const auto& kh : absent_) {
    if (kept_by_target(base_.entries.at(kh))) continue;
    if (out.empty() || out.back().size() >= chunk) out.emplace_back();
    out.back().push_back(kh);
  }
  return out;
}

}  // namespace syncpipe::diff
