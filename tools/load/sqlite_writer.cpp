#include "sqlite_writer.hpp"

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <span>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/reader.hpp"
#include "sqlite/create_object.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::load {

namespace {


bool internal(const ndjson::SchemaObject& o) { return o.name.starts_with("sqlite_"); }

void create_object(sqlite::Database& db, const ndjson::SchemaObject& o) {
  sqlite::create_object(db, o.type, o.name, *o.sql);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void bind(sqlite::Statement& st, int i, const Value& v) {
  switch (v.kind) {
    case Kind::Null: st.bind_null(i); break;
    case Kind::Integer: st.bind(i, v.i); break;
    case Kind::Real: st.bind(i, v.r); break;
    case Kind::Text: st.bind(i, std::string_view(v.s)); break;
    case Kind::Blob: st.bind(i, std::as_bytes(std::span(v.s.data(), v.s.size()))); break;
  }
}

// The table record's columns must be the created table's, in order (plus
// the synthetic rowid column of a key-less table).
std::string insert_sql(sqlite::Database& db, const ndjson::TableSchema& t) {
  auto created = sqlite::table_columns(db, t.name);
  if (created.empty())
    throw InputError(fmt::format("table \"{}\" has no CREATE TABLE in the sqlite_schema record", t.name));
  std::string cols, params;
  std::size_t n = 0;
  for (const auto& c : t.columns) {
    if (t.key_source == "row_content" && c.name == ndjson::kRowContentColumn) continue;  // not a SQLite column
    bool rowid = t.key_source == "rowid" && c.name == ndjson::kRowidColumn;
    if (!rowid) {
      while (n < created.size() && created[n].hidden != 0) ++n;
      if (n >= created.size() || created[n].name != c.name)
        throw InputError(fmt::format("table \"{}\": column \"{}\" of the stream is not column {} of its CREATE TABLE",
                                     t.name, c.name, n + 1));
      ++n;
    }
    cols += (cols.empty() ? "" : ", ") + (rowid ? std::string("_rowid_") : sqlite::quote_identifier(c.name));
    params += params.empty() ? "?" : ", ?";
  }
  if (n != created.size())
    throw InputError(fmt::format("table \"{}\": the stream has fewer columns than its CREATE TABLE", t.name));
  return "INSERT INTO main." + sqlite::quote_identifier(t.name) + " (" + cols + ") VALUES (" + params + ")";
}

}  // namespace

SqliteWriter::SqliteWriter(sqlite::Database& db, bool progress) : db_(db), progress_(progress) {}
SqliteWriter::~SqliteWriter() = default;

void SqliteWriter::begin(const ndjson::SqliteSchema& s) {
  // FILE.tmp is thrown away on any failure and fsynced at the end: no journal.
  // A 64 MiB page cache keeps the key indexes' hot pages in memory while
  // rows arrive in an order that is not the key's.
  db_.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536");
  db_.exec("BEGIN");
  for (const auto& o : s.objects)
    if (o.type == "table" && o.sql && !internal(o)) create_object(db_, o);
}

void SqliteWriter::rows(ndjson::Reader& in) {
  while (in.next()) {
    auto type = ndjson::record_type(in);
    if (type == ndjson::RecordType::Table) on_table(in);
    else if (type == ndjson::RecordType::Row) on_row(in);
    else if (type == ndjson::RecordType::TableEnd) on_table_end(in);
    else if (type == ndjson::RecordType::SqliteSchema) in.fail("a second sqlite_schema record");
  }
  show_progress(true);
}

void SqliteWriter::on_table(ndjson::Reader& in) {
  auto next = ndjson::parse_table(in);
  if (insert_) in.fail(fmt::format("table \"{}\" begins before table \"{}\" ended", next.name, table_.name));
  table_ = std::move(next);
  names_ = table_.column_names();
  content_key_ = SIZE_MAX;
  for (std::size_t i = 0; table_.key_source == "row_content" && i < names_.size(); ++i)
    if (names_[i] == ndjson::kRowContentColumn) content_key_ = i;
  insert_ = std::make_unique<sqlite::Statement>(db_, insert_sql(db_, table_), table_.name);
  rows_ = 0;
}

void SqliteWriter::on_row(ndjson::Reader& in) {
  const auto head = ndjson::parse_row(in);
  if (!insert_ || head.table != table_.name) in.fail("row outside its table");
  Row& v = row_;
  if (!ndjson::row_values(in, v) || v.size() != names_.size())
    in.fail(fmt::format("table \"{}\": row without {} values", table_.name, names_.size()));
  if (key_hash(cb_, table_.name, table_.key_of(v)) != head.kh || row_hash(cb_, names_, v) != head.h)
    in.fail(fmt::format("table \"{}\" key {}: kh or h does not match the values", table_.name,
                        ndjson::values_json(table_.key_of(v))));
  int param = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i != content_key_) bind(*insert_, ++param, v[i]);
  insert_->step();
  insert_->reset();
  ++rows_;
  if ((++total_ & 0xfff) == 0) show_progress(false);
}

void SqliteWriter::on_table_end(ndjson::Reader& in) {
  const auto end = ndjson::parse_table_end(in);
  if (!insert_ || end.table != table_.name) in.fail("table_end outside its table");
  if (end.rows != rows_)
    in.fail(fmt::format("table \"{}\": table_end says {} rows, the stream had {}", table_.name, end.rows, rows_));
  insert_.reset();
  ++tables_;
}

void SqliteWriter::finish(const ndjson::SqliteSchema& s) {
  if (insert_) throw InputError(fmt::format("table \"{}\" has no table_end", table_.name));
  db_.exec("COMMIT");
  // Indexes are built once over all rows; triggers come after the rows so
  // none of them fires on the restore.
  db_.exec("BEGIN");
  for (const auto& o : s.objects)
    if (o.type != "table" && o.sql && !internal(o)) create_object(db_, o);
  db_.exec(fmt::format("PRAGMA user_version = {}", s.user_version));
  db_.exec("COMMIT");
  db_.exec("PRAGMA journal_mode = DELETE");
  sqlite::Statement check(db_, "PRAGMA integrity_check", "integrity_check");
  std::string verdict;
  while (check.step()) verdict += (verdict.empty() ? "" : "; ") + std::string(check.column_text(0));
  if (verdict != "ok") throw RuntimeError(fmt::format("{}: PRAGMA integrity_check: {}", db_.path(), verdict));
}

void SqliteWriter::show_progress(bool force) {
  if (!progress_) return;
  auto now = now_ms();
  if (!force && now - last_shown_ < 1000) return;
  last_shown_ = now;
  std::fprintf(stderr, "\rsync-load: %llu rows in %llu tables%s", static_cast<unsigned long long>(total_),
               static_cast<unsigned long long>(tables_), force ? "\n" : "  ");
}

}  // namespace syncpipe::load
