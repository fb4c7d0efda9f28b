#include "summary.hpp"

#include <fmt/format.h>

#include "classify.hpp"
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
  if (summarized_ || in.str("table") != table_) in.fail("absent_keys record outside its table");
  Row khs;
  if (!in.values("kh", khs)) in.fail("missing field \"kh\"");
  for (const auto& v : khs) {
    if (v.kind != Kind::Text) in.fail("absent_keys: \"kh\" holds a non-string");
    auto kh = Hash128::from_hex(v.s);
    ++named_;
    auto it = base_.entries.find(kh);
    // A key the authoritative base does not have: no source row, no base
    // entry, nothing to do (the snapshot's cache was behind; the digest decides).
    if (it == base_.entries.end() || !base_table_ || it->second.table != *base_table_) continue;
    auto& e = it->second;
    if (e.seen) in.fail(fmt::format("absent_keys names key {}, which the stream has a row or absent key for", v.s));
    e.seen = true;  // named once: a repeat is refused above
    unsent_[e.table].remove(kh, e.src);
    absent_.push_back(kh);
  }
}

std::uint64_t SkipVerifier::on_unchanged(ndjson::Reader& in) {
  if (summarized_ || in.str("table") != table_) in.fail("unchanged record outside its table, or twice");
  auto rows = in.int64("rows");
  auto digest = in.hash("digest");
  auto absent = in.int64("absent");
  if (rows < 0 || absent < 0 || static_cast<std::uint64_t>(absent) != named_)
    in.fail(fmt::format("unchanged: {} absent keys announced, {} received", absent, named_));
  SetDigest expect = base_table_ ? unsent_[*base_table_] : SetDigest{};
  if (expect.count() != static_cast<std::uint64_t>(rows) || expect.digest() != digest)
    throw StaleHintError(fmt::format(
        "table {}: the snapshot skipped {} rows by a stale local cache (the base at generation {} has {} rows it "
        "did not send, digest {}); the cache is refreshed now: run the pipeline again (or sync-snapshot without "
        "--skip-unchanged)",
        table_, rows, base_.generation, expect.count(), expect.digest() == digest ? "equal" : "different"));
  summarized_ = true;
  return static_cast<std::uint64_t>(rows);
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
