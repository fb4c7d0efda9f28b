#include "ndjson/protocol_rows.hpp"

#include <fmt/format.h>

#include "ndjson/reader.hpp"

namespace syncpipe::ndjson {

namespace {

constexpr std::string_view kBetween = R"(","h":")";
const std::string kZeros(32, '0');

std::uint64_t count(Reader& r, std::string_view field) {
  auto n = r.int64(field);
  if (n < 0) r.fail(fmt::format("field \"{}\" is negative", field));
  return static_cast<std::uint64_t>(n);
}

}  // namespace

RowWriter::RowWriter(std::string_view table) {
  JsonBuf name;
  name.string(table);
  head_ = R"({"t":"row","table":)" + name.str() + R"(,"kh":")";
  kh_at_ = head_.size();
  h_at_ = kh_at_ + 32 + kBetween.size();
}

JsonBuf& RowWriter::begin() {
  rec_.clear();
  rec_.raw(head_).raw(kZeros).raw(kBetween).raw(kZeros).raw(R"(","v":[)");
  return rec_;
}

const std::string& RowWriter::finish(const Hash128& kh, const Hash128& h) {
  rec_.raw("]}");
  rec_.str().replace(kh_at_, 32, kh.hex());
  rec_.str().replace(h_at_, 32, h.hex());
  return rec_.str();
}

RowHead parse_row(Reader& r) {
  RowHead row;
  row.table = r.str("table");
  row.kh = r.hash("kh");
  row.h = r.hash("h");
  return row;
}

bool row_values(Reader& r, Row& out) { return r.values("v", out); }

bool row_values_at(Reader& r, const std::vector<std::size_t>& at, Row& out, std::size_t& count) {
  return r.values_at("v", at, out, count);
}

std::string_view row_values_json(Reader& r) {
  auto v = r.raw("v");
  if (!v) r.fail("missing field \"v\"");
  return *v;
}

void write_absent_keys(JsonBuf& j, const AbsentKeys& a) {
  j.open().key("t").string("absent_keys").key("table").string(a.table).key("kh").open_array();
  for (const auto& kh : a.kh) j.comma().string(kh.hex());
  j.close_array().close();
}

AbsentKeys parse_absent_keys(Reader& r) {
  AbsentKeys a;
  a.table = r.str("table");
  Row khs;
  if (!r.values("kh", khs)) r.fail("missing field \"kh\"");
  a.kh.reserve(khs.size());
  for (const auto& v : khs) {
    if (v.kind != Kind::Text) r.fail("absent_keys: \"kh\" holds a non-string");
    a.kh.push_back(Hash128::from_hex(v.s));
  }
  return a;
}

void write_unchanged(JsonBuf& j, const Unchanged& u) {
  j.open().key("t").string("unchanged").key("table").string(u.table);
  j.key("rows").integer(static_cast<std::int64_t>(u.rows)).key("digest").string(u.digest.hex());
  j.key("absent").integer(static_cast<std::int64_t>(u.absent)).close();
}

Unchanged parse_unchanged(Reader& r) {
  Unchanged u;
  u.table = r.str("table");
  u.rows = count(r, "rows");
  u.digest = r.hash("digest");
  u.absent = count(r, "absent");
  return u;
}

void write_table_end(JsonBuf& j, const TableEnd& e) {
  j.open().key("t").string("table_end").key("table").string(e.table);
  j.key("rows").integer(static_cast<std::int64_t>(e.rows)).close();
}

TableEnd parse_table_end(Reader& r) {
  TableEnd e;
  e.table = r.str("table");
  e.rows = count(r, "rows");
  return e;
}

}  // namespace syncpipe::ndjson
