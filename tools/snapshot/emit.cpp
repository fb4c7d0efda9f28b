#include "emit.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/writer.hpp"
#include "sqlite/database.hpp"
#include "sqlite/statement.hpp"
#include "skip.hpp"
#include "table_plan.hpp"

namespace syncpipe::snapshot {

namespace {

Value column_value(const sqlite::Statement& st, int i) {
  switch (st.column_type(i)) {
    case sqlite::ColumnType::Integer: return Value::integer(st.column_int64(i));
    case sqlite::ColumnType::Real: return Value::real(st.column_double(i));
    case sqlite::ColumnType::Text: return Value::text(std::string(st.column_bytes(i)));
    case sqlite::ColumnType::Blob: return Value::blob(std::string(st.column_bytes(i)));
    case sqlite::ColumnType::Null: break;
  }
  return Value::null();
}

// Writes column i as a protocol value into `out` and its canonical form into
// `cb`, without copying TEXT/BLOB bytes into a Value.
void put_column(const sqlite::Statement& st, int i, const std::string& name, ndjson::JsonBuf& out,
                CanonicalBuffer& cb) {
  auto type = st.column_type(i);
  if (type == sqlite::ColumnType::Null) {
    out.null();
    return;
  }
  cb.name(name);
  switch (type) {
    case sqlite::ColumnType::Integer: {
      auto v = st.column_int64(i);
      out.integer(v);
      cb.integer(v);
      break;
    }
    case sqlite::ColumnType::Real: {
      auto v = st.column_double(i);
      out.real(v);
      cb.real(v);
      break;
    }
    case sqlite::ColumnType::Text: {
      auto v = st.column_bytes(i);
      out.text(v);
      cb.text(v);
      break;
    }
    default: {
      auto v = st.column_bytes(i);
      out.blob(v);
      cb.blob(v);
    }
  }
}

// Appends a column's canonical form to cb straight from SQLite's bytes (no
// Value, no JSON): the hot path of a row --skip-unchanged may skip.
void hash_column(const sqlite::ColumnValue& c, CanonicalBuffer& cb) {
  switch (c.type) {
    case sqlite::ColumnType::Integer: cb.integer(c.i); break;
    case sqlite::ColumnType::Real: cb.real(c.r); break;
    case sqlite::ColumnType::Text: cb.text(c.bytes); break;
    case sqlite::ColumnType::Blob: cb.blob(c.bytes); break;
    case sqlite::ColumnType::Null: break;
  }
}

// kh of the current row, as key_hash() computes it.
Hash128 key_hash_of(const sqlite::Statement& st, const ndjson::TableSchema& schema, CanonicalBuffer& cb) {
  cb.clear();
  cb.name(schema.name);
  for (auto k : schema.key_index) {
    auto c = st.column(static_cast<int>(k));
    if (c.type == sqlite::ColumnType::Null) cb.name("");
    hash_column(c, cb);
  }
  return cb.hash();
}

// h of the current row, as row_hash() computes it.
Hash128 row_hash_of(const sqlite::Statement& st, const ndjson::TableSchema& schema, CanonicalBuffer& cb) {
  cb.clear();
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    auto c = st.column(static_cast<int>(i));
    if (c.type == sqlite::ColumnType::Null) continue;
    cb.name(schema.columns[i].name);
    hash_column(c, cb);
  }
  return cb.hash();
}

}  // namespace

void emit_table(sqlite::Database& db, const TablePlan& plan, ndjson::RecordWriter& out, EmitStats& stats,
                std::size_t max_record, SkipHint* hint) {
  const auto& schema = plan.schema;
  ndjson::JsonBuf rec;
  ndjson::write_table(rec, schema);
  out.record(rec);

  sqlite::Statement st(db, plan.select_sql, schema.name);
  CanonicalBuffer row_cb, key_cb;
  Row key(schema.key_index.size());
  const int ncols = static_cast<int>(schema.columns.size());
  std::string prefix = R"({"t":"row","table":)";
  ndjson::JsonBuf name_json;
  name_json.string(schema.name);
  prefix += name_json.str();
  std::uint64_t rows = 0;
  // The hashes precede "v" in the record but are known only after the values
  // were written: write fixed-width placeholders and patch them, so a large
  // row is built once, in place.
  const std::string head = prefix + R"(,"kh":")";
  constexpr std::string_view kBetween = R"(","h":")";
  const std::size_t kh_at = head.size(), h_at = kh_at + 32 + kBetween.size();
  if (hint) hint->begin_table(schema.name);
  while (st.step()) {
    if (hint) {
      Hash128 kh = key_hash_of(st, schema, key_cb);
      hint->prefetch(kh);  // the cache slot arrives while the row is hashed
      if (hint->skip(kh, row_hash_of(st, schema, row_cb))) continue;
    }
    row_cb.clear();
    rec.clear();
    rec.raw(head).raw(std::string(32, '0')).raw(kBetween).raw(std::string(32, '0')).raw(R"(","v":[)");
    for (int i = 0; i < ncols; ++i) {
      if (i) rec.raw(",");
      put_column(st, i, schema.columns[static_cast<std::size_t>(i)].name, rec, row_cb);
    }
    rec.raw("]}");
    for (std::size_t k = 0; k < key.size(); ++k) key[k] = column_value(st, static_cast<int>(schema.key_index[k]));
    rec.str().replace(kh_at, 32, key_hash(key_cb, schema.name, key).hex());
    rec.str().replace(h_at, 32, row_cb.hash().hex());
    if (rec.str().size() > max_record)
      throw InputError(fmt::format("{}: table \"{}\": row {} is a record of {} bytes, over --max-record-bytes {}",
                                   db.path(), schema.name, rows + 1, rec.str().size(), max_record));
    out.record(rec);
    ++rows;
  }
  if (hint) hint->end_table(out);
  rec.clear();
  ndjson::write_table_end(rec, schema.name, rows);
  out.record(rec);
  stats.rows += rows;
  ++stats.tables;
}

}  // namespace syncpipe::snapshot
