#include "ndjson/protocol_conflict.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/json_tree.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"

namespace syncpipe::ndjson {

namespace {

void opt_hash(JsonBuf& j, std::string_view key, const std::optional<Hash128>& h) {
  j.key(key);
  if (h) j.string(h->hex()); else j.null();
}

void opt_values(JsonBuf& j, std::string_view key, const std::optional<Row>& row) {
  j.key(key);
  if (row) j.values(*row); else j.null();
}

std::optional<Row> opt_row(Reader& r, std::string_view field) {
  Row row;
  if (!r.values(field, row)) return std::nullopt;
  return row;
}

// The settlement members of a conflict record (and of settled_value).
void settlement_members(JsonBuf& j, const Settlement& s) {
  j.key("settled").string(s.take);
  if (s.take == "value") j.key("settled_v").values(s.v);
  j.key("settled_by").string(s.by);
  if (s.id) j.key("settled_id").integer(*s.id);
}

std::optional<Settlement> parse_settlement(Reader& r) {
  auto take = r.opt_str("settled");
  if (!take) return std::nullopt;
  Settlement s;
  s.take = *take;
  r.values("settled_v", s.v);
  s.by = r.opt_str("settled_by").value_or("");
  s.id = r.opt_int64("settled_id");
  return s;
}

// Every field of a conflict record before "v".
void conflict_head(JsonBuf& j, const Conflict& c) {
  j.open().key("t").string("conflict").key("kind").string(c.kind).key("table").string(c.table);
  j.key("kh").string(c.kh.hex());
  opt_hash(j, "h", c.h);
  j.key("k").values(c.k);
}

// Every field after "v", and the closing brace.
void conflict_tail(JsonBuf& j, const Conflict& c) {
  opt_values(j, "target", c.target);
  opt_hash(j, "base_h", c.base_h);
  opt_hash(j, "target_h", c.target_h);
  if (c.drift) j.key("drift").boolean(true);
  if (c.settled) settlement_members(j, *c.settled);
  j.close();
}

}  // namespace

void write_conflict(JsonBuf& j, const Conflict& c) {
  conflict_head(j, c);
  if (!c.v_json.empty()) j.key("v").raw(c.v_json);
  else opt_values(j, "v", c.source);
  conflict_tail(j, c);
}

void write_conflict(RecordWriter& out, JsonBuf& j, const Conflict& c) {
  j.clear();
  if (c.v_json.empty()) {
    write_conflict(j, c);
    out.record(j);
    return;
  }
  conflict_head(j, c);
  j.key("v");
  JsonBuf tail;
  tail.raw(",");  // a fresh JsonBuf writes no comma before its first key
  conflict_tail(tail, c);
  out.line({j.str(), c.v_json, tail.str()});
}

Conflict parse_conflict(Reader& r) {
  Conflict c;
  c.kind = r.str("kind");
  c.table = r.str("table");
  c.kh = r.hash("kh");
  c.h = r.opt_hash("h");
  if (!r.values("k", c.k)) r.fail("missing field \"k\"");
  c.source = opt_row(r, "v");
  c.target = opt_row(r, "target");
  c.base_h = r.opt_hash("base_h");
  c.target_h = r.opt_hash("target_h");
  c.drift = r.boolean("drift", false);
  c.settled = parse_settlement(r);
  return c;
}

std::string settlement_json(const Settlement& s) {
  JsonBuf j;
  j.open();
  settlement_members(j, s);
  j.close();
  return std::move(j.str());
}

std::optional<Settlement> parse_settlement_json(std::string_view json, std::int64_t id) {
  JsonNode n;
  try {
    n = parse_json(json);
  } catch (const InputError&) {
    return std::nullopt;
  }
  const JsonNode* take = n.is(JsonNode::Type::Object) ? n.find("settled") : nullptr;
  if (!take || !take->is(JsonNode::Type::String)) return std::nullopt;
  Settlement s;
  s.take = take->text;
  s.id = id;
  if (const auto* by = n.find("settled_by"); by && by->is(JsonNode::Type::String)) s.by = by->text;
  if (const auto* v = n.find("settled_v"); v && !v->is(JsonNode::Type::Null))
    s.v = parse_values_json(to_json(*v), fmt::format("conflict_log id {}: settled_v", id));
  return s;
}

void write_decision(JsonBuf& j, const Decision& d) {
  j.open().key("t").string("decision").key("table").string(d.table).key("kh").string(d.kh.hex());
  opt_hash(j, "h", d.h);
  opt_hash(j, "target_h", d.target_h);
  j.key("k").values(d.k).key("kind").string(d.kind).key("strategy").string(d.strategy);
  j.key("resolution").string(d.resolution).key("resolved_by").string(d.resolved_by);
  j.key("note").string(d.note);
  if (d.snapshot) {
    opt_values(j, "source", d.source);
    opt_values(j, "target", d.target);
  }
  j.close();
}

Decision parse_decision(Reader& r) {
  Decision d;
  d.table = r.str("table");
  d.kh = r.hash("kh");
  d.h = r.opt_hash("h");
  d.target_h = r.opt_hash("target_h");
  if (!r.values("k", d.k)) r.fail("missing field \"k\"");
  d.kind = r.str("kind");
  d.strategy = r.str("strategy");
  d.resolution = r.str("resolution");
  d.resolved_by = r.opt_str("resolved_by").value_or("sync-resolve");
  d.note = r.opt_str("note").value_or("");
  d.source = opt_row(r, "source");
  d.target = opt_row(r, "target");
  d.snapshot = d.source || d.target;
  return d;
}

Decision undecided(Conflict&& c) {
  Decision d;
  d.table = std::move(c.table);
  d.kind = std::move(c.kind);
  d.strategy = "none";
  d.resolution = "unresolved";
  d.note = "no sync-resolve in the pipeline";
  d.kh = c.kh;
  d.h = c.h;
  d.target_h = c.target_h;
  d.k = std::move(c.k);
  d.snapshot = true;
  d.source = std::move(c.source);
  d.target = std::move(c.target);
  return d;
}

const std::string_view kConflictLogColumns =
    "table_name, row_key, key_hash, conflict_type, resolution_strategy, resolution, resolved_by, note, "
    "source_data, target_data, source_hash, target_hash";
const std::string_view kConflictLogRecordset =
    "table_name text, row_key text, key_hash text, conflict_type text, resolution_strategy text, resolution text, "
    "resolved_by text, note text, source_data text, target_data text, source_hash text, target_hash text";

void write_conflict_log_entry(JsonBuf& j, const Decision& d) {
  auto row_text = [&](std::string_view key, const std::optional<Row>& row) {
    j.key(key);
    if (row) j.string(values_json(*row)); else j.null();
  };
  j.open().key("table_name").string(d.table).key("row_key").string(values_json(d.k));
  j.key("key_hash").string(d.kh.hex()).key("conflict_type").string(d.kind);
  j.key("resolution_strategy").string(d.strategy).key("resolution").string(d.resolution);
  j.key("resolved_by").string(d.resolved_by).key("note").string(d.note);
  row_text("source_data", d.source);
  row_text("target_data", d.target);
  j.key("source_hash").string(d.h ? d.h->hex() : "").key("target_hash").string(d.target_h ? d.target_h->hex() : "");
  j.close();
}

}  // namespace syncpipe::ndjson
