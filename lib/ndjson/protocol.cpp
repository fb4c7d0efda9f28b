#include "ndjson/protocol.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "ndjson/json_out.hpp"
#include "ndjson/reader_impl.hpp"
#include "ndjson/writer.hpp"

namespace syncpipe::ndjson {

namespace sj = simdjson;

std::vector<std::string> TableSchema::column_names() const {
  std::vector<std::string> out;
  out.reserve(columns.size());
  for (const auto& c : columns) out.push_back(c.name);
  return out;
}

Row TableSchema::key_of(const Row& row) const {
  Row k;
  k.reserve(key_index.size());
  for (auto i : key_index) k.push_back(row.at(i));
  return k;
}

Lease parse_lease(Reader& r) {
  Lease l;
  l.cluster = r.str("cluster");
  l.holder = r.str("holder");
  l.epoch = r.int64("epoch");
  l.expires_at = r.opt_str("expires_at").value_or("");
  return l;
}

void write_lease(JsonBuf& j, const Lease& l) {
  j.open().key("t").string("lease").key("cluster").string(l.cluster).key("holder").string(l.holder);
  j.key("epoch").integer(l.epoch).key("expires_at").string(l.expires_at).close();
}

namespace {

// write_header() writes the path as a protocol TEXT value: a string, or
// {"text_b64":...} when the path is not valid UTF-8.
std::string parse_source(Reader& r) {
  sj::ondemand::value v;
  if (!r.impl().present("source", v, r)) return {};
  Value val = decode_value(v, r);
  if (val.kind != Kind::Text) r.fail("field \"source\" is not a text value");
  return std::move(val.s);
}

}  // namespace

Header parse_header(Reader& r) {
  Header h;
  h.version = static_cast<int>(r.int64("v"));
  if (h.version != kProtocolVersion)
    r.fail(fmt::format("protocol version {} is not supported (this build speaks {})", h.version,
                       kProtocolVersion));
  h.client = r.str("client");
  h.host = r.str("host");
  h.schema = r.str("schema");
  h.source = parse_source(r);
  h.stream_id = r.str("stream_id");
  h.created_at = r.opt_str("created_at").value_or("");
  h.adhoc = r.boolean("adhoc", false);
  h.skip_unchanged = r.boolean("skip_unchanged", false);
  h.fingerprint = r.opt_str("source_fingerprint").value_or("");
  return h;
}

std::string every_row_refusal(std::string_view what) {
  return fmt::format("{} needs every row, but the snapshot left out the rows its local cache had (header "
                     "\"skip_unchanged\"): run sync-snapshot with --all-rows",
                     what);
}

void write_header(JsonBuf& j, const Header& h) {
  j.open().key("t").string("header").key("v").integer(h.version);
  j.key("client").string(h.client).key("host").string(h.host).key("schema").string(h.schema);
  j.key("source").text(h.source).key("stream_id").string(h.stream_id);
  j.key("adhoc").boolean(h.adhoc).key("created_at").string(h.created_at);
  if (h.skip_unchanged) j.key("skip_unchanged").boolean(true);
  if (!h.fingerprint.empty()) j.key("source_fingerprint").string(h.fingerprint);
  j.close();
}

namespace {

Column parse_column(sj::ondemand::object obj, const Reader& r) {
  Column c;
  auto get_str = [&](const char* f, std::string& out) {
    std::string_view s;
    if (find_any_order(obj, f).get_string().get(s)) r.fail(fmt::format("column: bad \"{}\"", f));
    out = s;
  };
  get_str("name", c.name);
  get_str("decl", c.decl);
  bool nn = false;
  if (find_any_order(obj, "notnull").get_bool().get(nn)) r.fail("column: bad \"notnull\"");
  c.notnull = nn;
  std::int64_t pk = 0;
  if (find_any_order(obj, "pk").get_int64().get(pk)) r.fail("column: bad \"pk\"");
  c.pk = static_cast<int>(pk);
  // A TEXT value (write_table() uses JsonBuf::text), or null.
  sj::ondemand::value d;
  const auto err = find_any_order(obj, "dflt").get(d);
  if (err && err != sj::NO_SUCH_FIELD) r.fail("column: bad \"dflt\"");
  if (!err) {
    Value dv = decode_value(d, r);
    if (dv.kind == Kind::Text) c.dflt = std::move(dv.s);
  }
  return c;
}

std::vector<std::string> parse_strings(Reader& r, std::string_view field, bool required) {
  std::vector<std::string> out;
  sj::ondemand::value v;
  if (!r.impl().present(field, v, r)) {
    if (required) r.fail(fmt::format("missing field \"{}\"", field));
    return out;
  }
  sj::ondemand::array arr;
  if (v.get_array().get(arr)) r.fail(fmt::format("field \"{}\" is not an array", field));
  for (auto e : arr) {
    std::string_view s;
    if (e.get_string().get(s)) r.fail(fmt::format("field \"{}\": expected strings", field));
    out.emplace_back(s);
  }
  return out;
}

void resolve_key_index(TableSchema& t, const Reader& r) {
  for (const auto& k : t.key) {
    auto it = std::find_if(t.columns.begin(), t.columns.end(), [&](const Column& c) { return c.name == k; });
    if (it == t.columns.end()) r.fail(fmt::format("table \"{}\": key column \"{}\" is not a column", t.name, k));
    t.key_index.push_back(static_cast<std::size_t>(it - t.columns.begin()));
  }
  if (t.key.empty()) r.fail(fmt::format("table \"{}\" has no key", t.name));
}

}  // namespace

TableSchema parse_table(Reader& r) {
  TableSchema t;
  t.name = r.str("table");
  sj::ondemand::value cols = r.impl().field("columns", r);
  sj::ondemand::array arr;
  if (cols.get_array().get(arr)) r.fail("field \"columns\" is not an array");
  for (auto e : arr) {
    sj::ondemand::object obj;
    if (e.get_object().get(obj)) r.fail("column is not an object");
    t.columns.push_back(parse_column(obj, r));
  }
  t.key = parse_strings(r, "key", true);
  t.key_source = r.str("key_source");
  t.pg_types = parse_strings(r, "pg_types", false);
  if (!t.pg_types.empty() && t.pg_types.size() != t.columns.size()) r.fail("pg_types and columns differ in length");
  resolve_key_index(t, r);
  return t;
}

void write_table(JsonBuf& j, const TableSchema& t) {
  j.open().key("t").string("table").key("table").string(t.name).key("columns").open_array();
  for (const auto& c : t.columns) {
    j.comma().open().key("name").string(c.name).key("decl").string(c.decl);
    j.key("notnull").boolean(c.notnull).key("pk").integer(c.pk).key("dflt");
    if (c.dflt) j.text(*c.dflt); else j.null();
    j.close();
  }
  j.close_array().key("key").open_array();
  for (const auto& k : t.key) j.comma().string(k);
  j.close_array().key("key_source").string(t.key_source);
  if (!t.pg_types.empty()) {
    j.key("pg_types").open_array();
    for (const auto& p : t.pg_types) j.comma().string(p);
    j.close_array();
  }
  j.close();
}

Change parse_change(Reader& r) {
  Change c;
  c.op = r.str("op");
  c.table = r.str("table");
  c.kh = r.hash("kh");
  c.h = r.opt_hash("h");
  c.vh = r.opt_hash("vh");
  if (!r.values("k", c.k)) r.fail("missing field \"k\"");
  c.has_v = r.values("v", c.v);
  return c;
}

namespace {

// Every field of a change record before "v".
void change_head(JsonBuf& j, const Change& c) {
  j.open().key("t").string("change").key("op").string(c.op).key("table").string(c.table);
  j.key("kh").string(c.kh.hex());
  if (c.h) j.key("h").string(c.h->hex());
  if (c.vh) j.key("vh").string(c.vh->hex());
  j.key("k").values(c.k);
}

}  // namespace

void write_change(JsonBuf& j, const Change& c) {
  change_head(j, c);
  if (c.has_v && !c.v_json.empty()) j.key("v").raw(c.v_json);
  else if (c.has_v) j.key("v").values(c.v);
  else if (c.op == "record") j.key("v").null();
  j.close();
}

void write_change(RecordWriter& out, JsonBuf& j, const Change& c) {
  j.clear();
  if (!c.has_v || c.v_json.empty()) {
    write_change(j, c);
    out.record(j);
    return;
  }
  change_head(j, c);
  j.key("v");
  out.line({j.str(), c.v_json, "}"});
}

void write_base(JsonBuf& j, const BaseRecord& b) {
  j.open().key("t").string("base").key("client").string(b.client);
  j.key("generation").integer(b.generation).key("cache").string(b.cache).close();
}

BaseRecord parse_base(Reader& r) {
  BaseRecord b;
  b.client = r.opt_str("client").value_or("");
  b.generation = r.int64("generation");
  b.cache = r.opt_str("cache").value_or("");
  return b;
}

void write_trailer(std::string& out, const Trailer& t) {
  out.append(fmt::format(R"({{"t":"trailer","records":{},"checksum":"{}"}})", t.records, t.checksum));
}

Trailer parse_trailer(Reader& r) {
  std::int64_t n = r.int64("records");
  if (n < 0) r.fail(fmt::format("trailer says {} records", n));
  return {static_cast<std::uint64_t>(n), std::string(r.str("checksum"))};
}

bool is_trailer(std::string_view type) { return type == "trailer"; }

namespace {

struct TypeName {
  RecordType type;
  std::string_view name;
};
// In the order of how often they come: rows first.
constexpr TypeName kTypes[] = {
    {RecordType::Row, "row"},           {RecordType::Change, "change"},       {RecordType::Table, "table"},
    {RecordType::TableEnd, "table_end"}, {RecordType::Unchanged, "unchanged"}, {RecordType::AbsentKeys, "absent_keys"},
    {RecordType::Conflict, "conflict"}, {RecordType::Decision, "decision"},   {RecordType::Base, "base"},
    {RecordType::Lease, "lease"},       {RecordType::Header, "header"},       {RecordType::SqliteSchema, "sqlite_schema"},
};

}  // namespace

RecordType record_type(Reader& r) {
  auto t = r.type();
  for (const auto& e : kTypes)
    if (e.name == t) return e.type;
  return RecordType::Other;
}

const char* record_type_name(RecordType t) {
  for (const auto& e : kTypes)
    if (e.type == t) return e.name.data();
  return "";
}

namespace {

// A protocol TEXT value (a string, or text_b64) of an object's field.
std::optional<std::string> object_text(sj::ondemand::object& obj, const char* field, const Reader& r) {
  sj::ondemand::value v;
  if (find_any_order(obj, field).get(v)) r.fail(fmt::format("sqlite_schema object: missing \"{}\"", field));
  Value val = decode_value(v, r);
  if (val.kind == Kind::Null) return std::nullopt;
  if (val.kind != Kind::Text) r.fail(fmt::format("sqlite_schema object: \"{}\" is not text", field));
  return std::move(val.s);
}

}  // namespace

SqliteSchema parse_sqlite_schema(Reader& r) {
  SqliteSchema s;
  s.user_version = r.int64("user_version");
  sj::ondemand::value objs = r.impl().field("objects", r);
  sj::ondemand::array arr;
  if (objs.get_array().get(arr)) r.fail("field \"objects\" is not an array");
  for (auto e : arr) {
    sj::ondemand::object obj;
    if (e.get_object().get(obj)) r.fail("sqlite_schema object is not an object");
    SchemaObject o;
    o.type = object_text(obj, "type", r).value_or("");
    o.name = object_text(obj, "name", r).value_or("");
    o.tbl_name = object_text(obj, "tbl_name", r).value_or("");
    o.sql = object_text(obj, "sql", r);
    if (o.type.empty() || o.name.empty()) r.fail("sqlite_schema object without a type or name");
    s.objects.push_back(std::move(o));
  }
  return s;
}

void write_sqlite_schema(JsonBuf& j, const SqliteSchema& s) {
  j.open().key("t").string("sqlite_schema").key("user_version").integer(s.user_version).key("objects").open_array();
  for (const auto& o : s.objects) {
    j.comma().open().key("type").text(o.type).key("name").text(o.name).key("tbl_name").text(o.tbl_name);
    j.key("sql");
    if (o.sql) j.text(*o.sql); else j.null();
    j.close();
  }
  j.close_array().close();
}

Row parse_values_json(std::string_view json, std::string_view what) {
  Reader ctx(-1, std::string(what), 64);  // names errors; reads nothing
  sj::ondemand::parser parser;
  sj::padded_string padded(json);
  sj::ondemand::document doc;
  sj::ondemand::array arr;
  if (parser.iterate(padded).get(doc) || doc.get_array().get(arr)) ctx.fail("not a JSON array");
  Row out;
  for (auto elem : arr) {
    sj::ondemand::value v;
    if (elem.get(v)) ctx.fail("malformed array");
    out.push_back(decode_value(v, ctx));
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == sj::SUCCESS) ctx.fail("data after the array");
  return out;
}

StreamHead read_head(Reader& r, RecordWriter* out) {
  StreamHead head;
  if (!r.next()) r.fail("empty stream");
  if (record_type(r) == RecordType::Lease) {
    head.lease = parse_lease(r);
    if (out) out->line(r.line());
    if (!r.next()) r.fail("stream ends after the lease record");
  }
  if (record_type(r) != RecordType::Header) r.fail(fmt::format("expected a header record, found \"{}\"", r.type()));
  head.header = parse_header(r);
  if (out) out->line(r.line());
  if (!head.lease && !head.header.adhoc)
    r.fail("stream has no lease record and is not marked ad hoc (run sync-lease gate first, "
           "or sync-snapshot --no-lease for an ad-hoc run)");
  return head;
}

}  // namespace syncpipe::ndjson
