#include "emit.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/writer.hpp"
#include "sqlite/database.hpp"
#include "sqlite/statement.hpp"
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

}  // namespace

void emit_table(sqlite::Database& db, const TablePlan& plan, ndjson::RecordWriter& out, EmitStats& stats,
                std::size_t max_record) {
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
  while (st.step()) {
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
  rec.clear();
  ndjson::write_table_end(rec, schema.name, rows);
  out.record(rec);
  stats.rows += rows;
  ++stats.tables;
}

}  // namespace syncpipe::snapshot
