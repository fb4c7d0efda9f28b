#include "emit.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/writer.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/statement.hpp"
#include "skip.hpp"
#include "table_plan.hpp"

namespace syncpipe::snapshot {

namespace {

// Writes a column's value as a protocol value into `out` and its canonical
// form into `cb`, without copying TEXT/BLOB bytes into a Value.
void put_column(const ValueRef& v, const std::string& name, ndjson::JsonBuf& out, CanonicalBuffer& cb) {
  switch (v.kind) {
    case Kind::Null: out.null(); return;
    case Kind::Integer: out.integer(v.i); break;
    case Kind::Real: out.real(v.r); break;
    case Kind::Text: out.text(v.s); break;
    case Kind::Blob: out.blob(v.s); break;
  }
  cb.name(name);
  cb.value(v);
}

// Column i of the current row as the hashes read it: straight from SQLite's
// bytes (no Value, no JSON), the hot path of a row --skip-unchanged may skip.
ValueRef column_ref(const sqlite::Statement& st, std::size_t i) {
  auto c = st.column(static_cast<int>(i));
  switch (c.type) {
    case sqlite::ColumnType::Integer: return {Kind::Integer, c.i, 0, {}};
    case sqlite::ColumnType::Real: return {Kind::Real, 0, c.r, {}};
    case sqlite::ColumnType::Text: return {Kind::Text, 0, 0, c.bytes};
    case sqlite::ColumnType::Blob: return {Kind::Blob, 0, 0, c.bytes};
    case sqlite::ColumnType::Null: break;
  }
  return {};
}

}  // namespace

void emit_sqlite_schema(sqlite::Database& db, ndjson::RecordWriter& out) {
  ndjson::SqliteSchema s;
  s.user_version = sqlite::user_version(db);
  for (auto& e : sqlite::master_entries(db))
    s.objects.push_back({std::move(e.type), std::move(e.name), std::move(e.tbl_name), std::move(e.sql)});
  ndjson::JsonBuf rec;
  ndjson::write_sqlite_schema(rec, s);
  out.record(rec);
}

void emit_table(sqlite::Database& db, const TablePlan& plan, ndjson::RecordWriter& out, EmitStats& stats,
                std::size_t max_record, SkipHint* hint) {
  const auto& schema = plan.schema;
  ndjson::JsonBuf rec;
  ndjson::write_table(rec, schema);
  out.record(rec);

  sqlite::Statement st(db, plan.select_sql, schema.name);
  CanonicalBuffer row_cb, key_cb;
  const int ncols = static_cast<int>(schema.columns.size());
  ndjson::RowWriter row(schema.name);
  std::uint64_t rows = 0;
  const auto names = schema.column_names();
  // A row-content key (table_plan.hpp) is the last column, computed here.
  const std::size_t own = names.size() - (plan.row_content_key ? 1 : 0);
  std::string content_key;
  Hash128 last_content;
  std::uint64_t same_rows = 0;
  auto sqlite_column = [&](std::size_t i) { return column_ref(st, i); };
  auto column = [&](std::size_t i) {
    return i < own ? column_ref(st, i) : ValueRef{Kind::Text, 0, 0, content_key};
  };
  auto key_column = [&](std::size_t k) { return column(schema.key_index[k]); };
  if (hint) hint->begin_table(schema.name);
  while (st.step()) {
    if (plan.row_content_key)
      content_key = row_content_key(row_hash_at(row_cb, names, own, sqlite_column), last_content, same_rows);
    const Hash128 kh = key_hash_at(key_cb, schema.name, schema.key_index.size(), key_column);
    if (hint) {
      hint->prefetch(kh);  // the cache slot arrives while the row is hashed
      if (hint->skip(kh, row_hash_at(row_cb, names, names.size(), column))) continue;
    }
    row_cb.clear();
    ndjson::JsonBuf& v = row.begin();
    for (int i = 0; i < ncols; ++i) {
      if (i) row.next_value();
      put_column(column(static_cast<std::size_t>(i)), names[static_cast<std::size_t>(i)], v, row_cb);
    }
    const std::string& line = row.finish(kh, row_cb.hash());
    if (line.size() > max_record)
      throw InputError(fmt::format("{}: table \"{}\": row {} is a record of {} bytes, over --max-record-bytes {}",
                                   db.path(), schema.name, rows + 1, line.size(), max_record));
    out.line(line);
    ++rows;
  }
  if (hint) hint->end_table(out);
  rec.clear();
  ndjson::write_table_end(rec, {schema.name, rows});
  out.record(rec);
  stats.rows += rows;
  ++stats.tables;
}

}  // namespace syncpipe::snapshot
