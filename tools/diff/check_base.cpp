#include "check_base.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/log.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/reader.hpp"
#include "target.hpp"

namespace syncpipe::diff {

namespace {

constexpr std::size_t kShown = 20;  // differences logged one by one

struct Tally {
  std::uint64_t rows = 0, match = 0;
};

class Checker {
 public:
  Checker(Target& target, BaseState base) : target_(target), base_(std::move(base)) {}

  void run(ndjson::Reader& in) {
    while (in.next()) {
      auto type = ndjson::record_type(in);
      if (type == ndjson::RecordType::Table) table_ = ndjson::parse_table(in);
      else if (type == ndjson::RecordType::Row) on_row(in);
    }
    missing();
    report();
  }

 private:
  void on_row(ndjson::Reader& in) {
    const auto head = ndjson::parse_row(in);
    if (head.table != table_.name) in.fail("row outside its table");
    auto& t = tally_[table_.name];
    ++t.rows;
    const Hash128 kh = head.kh, h = head.h;
    auto it = base_.entries.find(kh);
    const char* why = nullptr;
    if (it == base_.entries.end()) why = "not in the base state";
    else if (base_.tables[it->second.table] != table_.name) why = "its key belongs to another table in the base state";
    else if (it->second.status == BaseStatus::Absent) why = "the base state holds no row for this key";
    else if (it->second.src != h) why = "row hash differs from the base state";
    if (it != base_.entries.end()) it->second.seen = true;
    if (!why) {
      ++t.match;
      return;
    }
    Row key;
    std::size_t n = 0;
    ndjson::row_values_at(in, table_.key_index, key, n);
    problem(table_.name, ndjson::values_json(key), why);
  }

  // Base entries of source rows that the snapshot did not have; the first
  // kShown are named with their keys (row_state.key_json).
  void missing() {
    std::vector<Hash128> absent;
    for (auto& [kh, e] : base_.entries) {
      if (e.seen || e.status == BaseStatus::Absent) continue;
      absent.push_back(kh);
      ++tally_[base_.tables[e.table]].rows;
    }
    if (absent.empty()) return;
    const std::size_t total = absent.size();
    absent.resize(std::min(total, kShown));
    auto named = target_.keys_of(absent);
    for (auto& [kh, key] : named)
      problem(base_.tables[base_.entries.find(kh)->second.table], ndjson::values_json(key), "missing from the file");
    problems_ += total - named.size();
    if (first_.empty()) first_ = "rows of the base state are missing from the file";
  }

  void problem(const std::string& table, const std::string& key, const char* why) {
    if (problems_ < kShown) log::warn("table {} key {}: {}", table, key, why);
    if (first_.empty()) first_ = fmt::format("table {} key {}: {}", table, key, why);
    ++problems_;
  }

  void report() {
    std::uint64_t rows = 0, match = 0;
    for (const auto& [name, t] : tally_) {
      log::info("{}: {} of {} rows match the base state", name, t.match, t.rows);
      rows += t.rows;
      match += t.match;
    }
    if (problems_)
      throw RuntimeError(fmt::format("restored file differs from the base state: {} of {} rows match; first: {}",
                                     match, rows, first_));
    log::info("every one of {} rows in {} tables matches the base state", rows, tally_.size());
  }

  Target& target_;
  BaseState base_;
  ndjson::TableSchema table_;
  std::map<std::string, Tally> tally_;
  std::uint64_t problems_ = 0;
  std::string first_;
};

}  // namespace

void check_against_base(ndjson::Reader& in, Target& target, const ndjson::Header& h) {
  if (h.skip_unchanged) in.fail(ndjson::every_row_refusal("sync-diff --against-base"));
  Checker(target, target.read_base()).run(in);
}

}  // namespace syncpipe::diff
