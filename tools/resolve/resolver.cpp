#include "resolver.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "ndjson/json_merge.hpp"
#include "timestamp.hpp"

namespace syncpipe::resolve {

const char* resolution_name(Resolution r) {
  switch (r) {
    case Resolution::Source: return "source";
    case Resolution::Target: return "target";
    case Resolution::Merge: return "merge";
    case Resolution::Unresolved: return "unresolved";
  }
  return "?";
}

namespace {

std::optional<std::size_t> column_index(const ndjson::TableSchema& t, std::string_view name) {
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i].name == name) return i;
  return std::nullopt;
}

std::string side(bool source) { return source ? "source" : "target"; }

}  // namespace

Newer newest(const ndjson::TableSchema& t, const std::string& field, const Conflict& c) {
  if (!c.target) return {true, "the target deleted the row: the source's edit wins"};
  if (!c.source) return {false, "the source deleted the row: the target's edit wins"};
  auto idx = column_index(t, field);
  if (!idx) return {true, fmt::format("tie: no column \"{}\", source wins", field)};
  auto s = instant_ns((*c.source)[*idx]);
  auto g = instant_ns((*c.target)[*idx]);
  if (!s && !g) return {true, fmt::format("tie: no {} on either side, source wins", field)};
  if (!g) return {true, fmt::format("the target has no {}: source wins", field)};
  if (!s) return {false, fmt::format("the source has no {}: target wins", field)};
  if (*s == *g) return {true, fmt::format("tie on {}: source wins", field)};
  return {*s > *g, fmt::format("{} newer by {}", side(*s > *g), field)};
}

namespace {

// A merge rule's column: the longest prefix of the field (cut at a dot)
// that names a column; the rest is the path into its JSON.
std::optional<std::pair<std::size_t, std::string>> split_field(const ndjson::TableSchema& t, const std::string& field) {
  std::size_t cut = field.size();
  while (true) {
    if (auto i = column_index(t, std::string_view(field).substr(0, cut)))
      return std::make_pair(*i, cut < field.size() ? field.substr(cut + 1) : std::string());
    if (cut == 0) return std::nullopt;
    cut = field.rfind('.', cut - 1);
    if (cut == std::string::npos) return std::nullopt;
  }
}

void merge_column(const ndjson::TableSchema& t, std::size_t i, const std::vector<ndjson::PathRule>& rules,
                  const Conflict& c, bool source_newer, Row& out, std::vector<std::string>& notes) {
  bool only_newest = std::all_of(rules.begin(), rules.end(), [](const ndjson::PathRule& r) {
    return r.path.empty() && r.rule == ndjson::MergeRule::NewestWins;
  });
  if (only_newest) return;  // out already holds the newer side's value
  const Value& s = (*c.source)[i];
  const Value& g = (*c.target)[i];
  const std::string& name = t.columns[i].name;
  if (s.kind != Kind::Text || g.kind != Kind::Text) {
    if (s.is_null() && g.kind == Kind::Text) out[i] = g;
    else if (g.is_null() && s.kind == Kind::Text) out[i] = s;
    else if (!s.is_null() || !g.is_null())
      notes.push_back(fmt::format("column \"{}\" is not JSON text on both sides: the newer value kept", name));
    return;
  }
  try {
    out[i] = Value::text(ndjson::merge_json(out[i].s, g.s, s.s, rules, source_newer, notes));
  } catch (const InputError& e) {
    notes.push_back(fmt::format("column \"{}\" is not valid JSON ({}): the newer value kept", name, e.what()));
  }
}

}  // namespace

Row merge_rows(const ndjson::TableSchema& t, const TableRule& rule, const Conflict& c, bool source_newer,
               std::vector<std::string>& notes) {
  Row out = source_newer ? *c.source : *c.target;
  std::vector<std::pair<std::size_t, std::vector<ndjson::PathRule>>> by_column;
  for (const auto& r : rule.merge_rules) {
    auto split = split_field(t, r.field);
    if (!split) {
      notes.push_back(fmt::format("merge rule \"{}\": table {} has no such column", r.field, t.name));
      continue;
    }
    auto it = std::find_if(by_column.begin(), by_column.end(), [&](const auto& e) { return e.first == split->first; });
    if (it == by_column.end()) it = by_column.insert(by_column.end(), {split->first, {}});
    it->second.push_back({split->second, r.rule});
  }
  for (const auto& [i, rules] : by_column) merge_column(t, i, rules, c, source_newer, out, notes);
  return out;
}

namespace {

std::string join_notes(std::string first, const std::vector<std::string>& rest) {
  for (const auto& n : rest) first += "; " + n;
  return first;
}

Outcome decide_merge(const ndjson::TableSchema& t, const TableRule& rule, const Conflict& c) {
  Newer n = newest(t, rule.compare_field, c);
  if (!c.source || !c.target)
    return {n.source ? Resolution::Source : Resolution::Target, "nothing to merge: " + n.note, {}};
  std::vector<std::string> notes;
  Outcome o{Resolution::Merge, {}, merge_rows(t, rule, c, n.source, notes)};
  o.note = join_notes(fmt::format("merged; other fields from the {} ({})", side(n.source), n.note), notes);
  return o;
}

}  // namespace

Outcome decide(const ndjson::TableSchema& t, const TableRule& rule, const Conflict& c) {
  auto why = [&](const char* dflt) { return rule.reason.empty() ? std::string(dflt) : rule.reason; };
  switch (rule.strategy) {
    case Strategy::SourceWins: return {Resolution::Source, why("source_wins"), {}};
    case Strategy::TargetWins: return {Resolution::Target, why("target_wins"), {}};
    case Strategy::Manual:
      return {Resolution::Unresolved, why("manual: the target is kept until an operator settles it"), {}};
    case Strategy::Merge: return decide_merge(t, rule, c);
    case Strategy::NewestWins: {
      Newer n = newest(t, rule.compare_field, c);
      return {n.source ? Resolution::Source : Resolution::Target, n.note, {}};
    }
  }
  throw RuntimeError("unknown strategy");
}

Outcome apply_settlement(const ndjson::TableSchema& t, const Conflict& c) {
  const Settlement& s = *c.settled;
  std::string who = fmt::format("settled by {}{}", s.by.empty() ? "an operator" : s.by,
                                s.id ? fmt::format(" (conflict_log id {})", *s.id) : "");
  if (s.take == "source") return {Resolution::Source, who + ": source taken", {}};
  if (s.take == "target") return {Resolution::Target, who + ": target taken", {}};
  if (s.take == "value" && s.v.size() == t.columns.size()) return {Resolution::Merge, who + ": value given", s.v};
  if (s.take == "value")
    return {Resolution::Unresolved,
            fmt::format("{}: the value has {} values, table {} has {} columns; not applied", who, s.v.size(), t.name,
                        t.columns.size()),
            {}};
  return {Resolution::Unresolved, fmt::format("{}: unknown settlement \"{}\"; not applied", who, s.take), {}};
}

ndjson::Change change_for(const Conflict& c, const Outcome& o) {
  ndjson::Change ch;
  ch.table = c.table;
  ch.kh = c.kh;
  ch.k = c.k;
  bool source = o.resolution == Resolution::Source;
  if (o.resolution == Resolution::Merge) {
    ch.op = "update";
    ch.h = c.h ? *c.h : Hash128{};
    ch.v = o.merged;
    ch.has_v = true;
  } else if (source && !c.source) {  // delete_update, the source's delete wins
    ch.op = "delete";
  } else if (source) {
    ch.op = "update";
    ch.h = c.h;
    ch.v = *c.source;
    ch.has_v = true;
  } else {  // the target is kept: only the base state moves
    ch.op = "record";
    ch.h = c.source ? *c.h : Hash128{};
    ch.has_v = c.target.has_value();
    if (c.target) ch.v = *c.target;
  }
  return ch;
}

}  // namespace syncpipe::resolve
