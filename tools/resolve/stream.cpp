#include "stream.hpp"

#include <fmt/format.h>

#include <map>

#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"
#include "resolver.hpp"

namespace syncpipe::resolve {

namespace {

class StreamResolver {
 public:
  StreamResolver(ndjson::Reader& in, ndjson::RecordWriter& out, const Config& cfg) : in_(in), out_(out), cfg_(cfg) {}

  ResolveStats run();

 private:
  void on_table();
  void on_conflict();
  Conflict parse_conflict(const ndjson::TableSchema*& t);
  void write_decision(const Conflict& c, const ndjson::TableSchema& t, std::string_view strategy,
                      std::string_view by, const Outcome& o);
  void count(Resolution r);

  ndjson::Reader& in_;
  ndjson::RecordWriter& out_;
  const Config& cfg_;
  std::map<std::string, ndjson::TableSchema, std::less<>> tables_;
  std::map<std::string, std::vector<std::string>, std::less<>> names_;
  CanonicalBuffer cb_;
  ndjson::JsonBuf rec_;
  ResolveStats stats_;
};

ResolveStats StreamResolver::run() {
  ndjson::read_head(in_, &out_);
  while (in_.next()) {
    auto t = ndjson::record_type(in_);
    if (t == ndjson::RecordType::Conflict) {
      on_conflict();
      continue;
    }
    if (t == ndjson::RecordType::Table) on_table();
    out_.line(in_.line());
  }
  out_.finish();
  return stats_;
}

void StreamResolver::on_table() {
  auto t = ndjson::parse_table(in_);
  names_[t.name] = t.column_names();
  std::string name = t.name;
  tables_[name] = std::move(t);
}

Conflict StreamResolver::parse_conflict(const ndjson::TableSchema*& t) {
  Conflict c = ndjson::parse_conflict(in_);
  if (c.kind != "insert_insert" && c.kind != "update_update" && c.kind != "update_delete" && c.kind != "delete_update")
    in_.fail(fmt::format("unknown conflict kind \"{}\"", c.kind));
  auto it = tables_.find(c.table);
  if (it == tables_.end()) in_.fail(fmt::format("conflict for table \"{}\" before its table record", c.table));
  t = &it->second;
  if (c.source.has_value() != (c.kind != "delete_update"))
    in_.fail(fmt::format("{} conflict {} source row \"v\"", c.kind, c.source ? "with a" : "without a"));
  if (c.target.has_value() != (c.kind != "update_delete"))
    in_.fail(fmt::format("{} conflict {} target row", c.kind, c.target ? "with a" : "without a"));
  if (c.source && !c.h) in_.fail("conflict without the source row hash \"h\"");
  for (const auto* row : {&c.source, &c.target})
    if (*row && (*row)->size() != t->columns.size())
      in_.fail(fmt::format("conflict row has {} values, table \"{}\" has {} columns", (*row)->size(), t->name,
                           t->columns.size()));
  return c;
}

void StreamResolver::write_decision(const Conflict& c, const ndjson::TableSchema& t, std::string_view strategy,
                                    std::string_view by, const Outcome& o) {
  ndjson::Decision d;
  d.table = c.table;
  d.kind = c.kind;
  d.strategy = strategy;
  d.resolution = resolution_name(o.resolution);
  d.resolved_by = by;
  d.note = o.note;
  d.kh = c.kh;
  d.h = c.h;
  if (c.target) d.target_h = row_hash(cb_, names_[t.name], *c.target);
  d.k = c.k;
  d.snapshot = cfg_.include_snapshot;
  if (d.snapshot) {  // copies: conflicts are few
    d.source = c.source;
    d.target = c.target;
  }
  rec_.clear();
  ndjson::write_decision(rec_, d);
  out_.record(rec_);
}

void StreamResolver::count(Resolution r) {
  ++stats_.conflicts;
  switch (r) {
    case Resolution::Source: ++stats_.source; break;
    case Resolution::Target: ++stats_.target; break;
    case Resolution::Merge: ++stats_.merge; break;
    case Resolution::Unresolved: ++stats_.unresolved; break;
  }
}

void StreamResolver::on_conflict() {
  const ndjson::TableSchema* t = nullptr;
  Conflict c = parse_conflict(t);
  const TableRule& rule = cfg_.rule_for(c.table);
  Outcome o = c.settled ? apply_settlement(*t, c) : decide(*t, rule, c);
  count(o.resolution);
  // With the log disabled, resolved conflicts leave no decision record;
  // unresolved and settled ones always do (conflict_log must show them).
  if (c.settled)
    write_decision(c, *t, "settled", c.settled->by.empty() ? "operator" : c.settled->by, o);
  else if (cfg_.log_enabled || o.resolution == Resolution::Unresolved)
    write_decision(c, *t, strategy_name(rule.strategy), "sync-resolve", o);
  if (o.resolution == Resolution::Unresolved) return;
  auto ch = change_for(c, o);
  // sync-load checks v against h; a row that is not the source row (merged,
  // or the target's own) carries its own hash for that check.
  if (ch.has_v) {
    auto vh = row_hash(cb_, names_[t->name], ch.v);
    if (vh != ch.h) ch.vh = vh;
  }
  rec_.clear();
  ndjson::write_change(rec_, ch);
  out_.record(rec_);
}

}  // namespace

ResolveStats resolve_stream(ndjson::Reader& in, ndjson::RecordWriter& out, const Config& cfg) {
  return StreamResolver(in, out, cfg).run();
}

}  // namespace syncpipe::resolve
