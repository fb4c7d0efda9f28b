#include "sinks.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "ndjson/protocol_conflict.hpp"

#include "pg/connection.hpp"
#include "pg/copy.hpp"
#include "pg/copy_format.hpp"

namespace syncpipe::load {

namespace {

void open_list(ndjson::JsonBuf& j) {
  if (j.str().empty()) j.open_array();
  j.comma();
}

std::string close_list(ndjson::JsonBuf& j) {
  std::string out = j.str() + "]";
  j.clear();
  return out;
}

// COPY data is sent in pieces of this size while rows are read, so the
// server parses, compresses and writes one piece while the next is built.
constexpr std::size_t kStreamChunk = std::size_t{1} << 20;

}  // namespace

void TableSink::reset(pg::Connection* conn, const std::string& schema, const ndjson::TableSchema* table,
                      std::vector<PgType> types) {
  conn_ = conn;
  schema_name_ = schema;
  schema_ = table;
  types_ = std::move(types);
  copy_.reset();
  updates_.clear();
  deletes_.clear();
  rows_ = 0;
}

void TableSink::copy_row(std::string& out, const Row& image) {
  for (std::size_t i = 0; i < image.size(); ++i) {
    if (i) out.push_back('\t');
    pg::copy_text::append_value(out, image[i], types_[i]);
  }
  out.push_back('\n');
  ++rows_;
}

// Rows are built in the COPY buffer itself; a text value larger than a
// piece is escaped and sent slice by slice (a 30 MB chat is never a second
// time whole in memory).
void TableSink::insert(const Row& image) {
  if (!copy_)
    copy_.emplace(*conn_, schema_name_, schema_->name, schema_->column_names(), kStreamChunk);
  for (std::size_t i = 0; i < image.size(); ++i) {
    if (i) copy_->text_buffer().push_back('\t');
    const Value& v = image[i];
    if (v.kind != Kind::Text || v.s.size() <= kStreamChunk) {
      pg::copy_text::append_value(copy_->text_buffer(), v, types_[i]);
      continue;
    }
    const std::string_view all(v.s);
    for (std::size_t pos = 0; pos < all.size(); pos += kStreamChunk) {
      pg::copy_text::append_field(copy_->text_buffer(), all.substr(pos, kStreamChunk));
      copy_->flush_if_full();
    }
  }
  copy_->text_buffer().push_back('\n');
  ++rows_;
  copy_->rows_added(1);
}

void TableSink::update(const Row& image) { copy_row(updates_, image); }

void TableSink::remove(const Hash128& kh, const Row& key) {
  open_list(deletes_);
  deletes_.open().key("kh").string(kh.hex()).key("k").values(key).close();
  ++rows_;
}

void TableSink::upsert_updates() {
  auto& c = *conn_;
  std::string stage = "_syncpipe_stage_" + std::to_string(++stage_no_);
  std::string target = c.quote_qualified(schema_name_, schema_->name);
  c.exec_sql("CREATE TEMP TABLE " + stage + " (LIKE " + target + ") ON COMMIT DROP");
  {
    // the stream's columns: the target may have more (a column dropped in the
    // source stays, sync-diff(1) "Schema changes"); they keep their values
    pg::CopyIn copy(c, "", stage, schema_->column_names());
    copy.add_rows(updates_);
    copy.finish();
  }
  std::string cols, keys, sets;
  for (const auto& col : schema_->columns) {
    std::string q = c.quote_ident(col.name);
    cols += (cols.empty() ? "" : ", ") + q;
    bool is_key = std::find(schema_->key.begin(), schema_->key.end(), col.name) != schema_->key.end();
    if (is_key) keys += (keys.empty() ? "" : ", ") + q;
    else sets += (sets.empty() ? "" : ", ") + q + " = EXCLUDED." + q;
  }
  c.exec_sql("INSERT INTO " + target + " (" + cols + ") SELECT " + cols + " FROM " + stage + " ON CONFLICT (" + keys +
             ") DO " + (sets.empty() ? "NOTHING" : "UPDATE SET " + sets));
}

void TableSink::flush(const std::string& client, std::int64_t job) {
  if (copy_) {
    copy_->finish();
    copy_.reset();
  }
  if (!updates_.empty()) upsert_updates();
  if (!deletes_.str().empty()) {
    conn_->exec_params("SELECT sync_metadata.delete_rows($1, $2, $3::jsonb, $4)",
                       {pg::Param::text(client), pg::Param::text(schema_->name),
                        pg::Param::text(close_list(deletes_)), pg::Param::int64(job)});
  }
  reset(conn_, schema_name_, schema_, types_);
}

void MetaSink::StateArrays::clear() {
  for (auto* a : {&table, &kh, &key, &src, &tgt, &status}) a->clear();
}

void MetaSink::state(const std::string& table, const Hash128& kh, const Row& key, const Hash128& src,
                     const std::optional<Hash128>& tgt, const char* status) {
  state_.table.add(table);
  state_.kh.add(kh.bytes());
  state_.key.add(ndjson::values_json(key));
  state_.src.add(src.bytes());
  if (tgt) state_.tgt.add(tgt->bytes()); else state_.tgt.add_null();
  state_.status.add(status);
}

void MetaSink::quarantine(const std::string& table, const Hash128& kh, const Row& key, const std::string& reason,
                          const Row& row) {
  open_list(quarantine_);
  quarantine_.open().key("t").string(table).key("kh").string(kh.hex()).key("k").string(ndjson::values_json(key));
  quarantine_.key("r").text(reason).key("d").string(ndjson::values_json(row)).close();
}

void MetaSink::conflict(const ndjson::Decision& d) {
  open_list(conflicts_);
  ndjson::write_conflict_log_entry(conflicts_, d);
}

void MetaSink::progress(const std::string& table, const TableProgress& p) {
  open_list(progress_);
  progress_.open().key("t").string(table).key("r").integer(p.changes).key("b").integer(p.bytes);
  progress_.key("i").integer(p.ops.inserted).key("u").integer(p.ops.updated).key("d").integer(p.ops.deleted);
  progress_.key("q").integer(p.ops.quarantined).close();
}

// The base state of the batch, and the quarantine entries of rows that now
// loaded. A plain INSERT costs less than half of INSERT ... ON CONFLICT (which
// must insert speculatively), so a first sync uses it. Rows go in key order:
// the primary key's pages are then visited once each, in order (a third
// less time than random order at 570k rows).
void MetaSink::flush_state(pg::Connection& c, const std::string& host, const std::string& client, std::int64_t job) {
  static const std::string kRows =
      "WITH x AS (SELECT * FROM unnest($3::text[], $4::bytea[], $5::text[], $6::bytea[], $7::bytea[], $8::text[]) "
      "AS x(t, kh, k, s, g, st)) ";
  static const std::string kInsert =
      "INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, src_hash, tgt_hash, "
      "status) SELECT $1, $2, x.t, x.kh, x.k, x.s, x.g, x.st FROM x ORDER BY x.kh";
  std::vector<pg::Param> p{pg::Param::text(host),  pg::Param::text(client), state_.table.param(),
                           state_.kh.param(),      state_.key.param(),     state_.src.param(),
                           state_.tgt.param(),     state_.status.param()};
  if (new_base_) {
    c.exec_params(kRows + kInsert, p);
  } else {
    p.push_back(pg::Param::int64(job));
    c.exec_params(kRows + ", up AS (" + kInsert +
                      " ON CONFLICT (client_id, key_hash) DO UPDATE SET table_name = EXCLUDED.table_name, "
                      "key_json = EXCLUDED.key_json, src_hash = EXCLUDED.src_hash, tgt_hash = EXCLUDED.tgt_hash, "
                      "status = EXCLUDED.status, updated_at = now() RETURNING 1), "
                      "q AS (UPDATE sync_metadata.quarantine qq SET resolved_at = now(), job_id = $9 FROM x "
                      "WHERE x.st = 'loaded' AND qq.client_id = $2 AND qq.key_hash = x.kh "
                      "AND qq.resolved_at IS NULL RETURNING 1) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM q)",
                  p);
  }
  state_.clear();
}

void MetaSink::flush(pg::Connection& c, const std::string& host, const std::string& client, std::int64_t job) {
  auto p = [&](ndjson::JsonBuf& j) {
    return std::vector<pg::Param>{pg::Param::text(host), pg::Param::text(client), pg::Param::text(close_list(j)),
                                  pg::Param::int64(job)};
  };
  if (state_.table.size()) flush_state(c, host, client, job);
  if (!quarantine_.str().empty())
    c.exec_params(
        "INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash, row_key, reason, row_data, "
        "job_id) SELECT $1, $2, x.t, decode(x.kh, 'hex'), x.k, x.r, x.d, $4 FROM json_to_recordset($3::json) "
        "AS x(t text, kh text, k text, r text, d text) ON CONFLICT (client_id, key_hash) DO UPDATE SET "
        "reason = EXCLUDED.reason, row_data = EXCLUDED.row_data, detected_at = now(), resolved_at = NULL, "
        "job_id = EXCLUDED.job_id",
        p(quarantine_));
  if (!conflicts_.str().empty()) {
    static const std::string kInsertConflicts = fmt::format(
        "INSERT INTO sync_metadata.conflict_log (host_id, client_id, {0}, resolved_at, job_id) SELECT $1, $2, {0}, "
        "CASE WHEN resolution = 'unresolved' THEN NULL ELSE clock_timestamp() END, $4 "
        "FROM json_to_recordset($3::json) AS x({1}) "
        "ON CONFLICT (client_id, key_hash, source_hash, target_hash) DO UPDATE SET "
        "resolution = EXCLUDED.resolution, resolution_strategy = EXCLUDED.resolution_strategy, "
        "resolved_by = EXCLUDED.resolved_by, note = EXCLUDED.note, resolved_at = EXCLUDED.resolved_at, "
        "job_id = EXCLUDED.job_id WHERE conflict_log.resolved_at IS NULL AND EXCLUDED.resolved_at IS NOT NULL",
        ndjson::kConflictLogColumns, ndjson::kConflictLogRecordset);
    c.exec_params(kInsertConflicts, p(conflicts_));
  }
  if (!progress_.str().empty())
    c.exec_params(
        "INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done, bytes_done, "
        "rows_inserted, rows_updated, rows_deleted, rows_quarantined) "
        "SELECT $4, $1, $2, x.t, x.r, x.b, x.i, x.u, x.d, x.q FROM json_to_recordset($3::json) "
        "AS x(t text, r bigint, b bigint, i bigint, u bigint, d bigint, q bigint) "
        "ON CONFLICT (job_id, table_name) DO UPDATE SET rows_done = EXCLUDED.rows_done, "
        "bytes_done = EXCLUDED.bytes_done, rows_inserted = EXCLUDED.rows_inserted, "
        "rows_updated = EXCLUDED.rows_updated, rows_deleted = EXCLUDED.rows_deleted, "
        "rows_quarantined = EXCLUDED.rows_quarantined, updated_at = now()",
        p(progress_));
}

}  // namespace syncpipe::load
