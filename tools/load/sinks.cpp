#include "sinks.hpp"

#include <algorithm>

#include "pg/connection.hpp"
#include "pg/copy.hpp"

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

}  // namespace

void TableSink::reset(const ndjson::TableSchema* schema, std::vector<PgType> types) {
  schema_ = schema;
  types_ = std::move(types);
  inserts_.clear();
  updates_.clear();
  deletes_.clear();
  rows_ = 0;
}

void TableSink::copy_row(std::string& out, const Row& image) {
  for (std::size_t i = 0; i < image.size(); ++i) {
    if (i) out.push_back('\t');
    append_copy_text(out, image[i], types_[i]);
  }
  out.push_back('\n');
  ++rows_;
}

void TableSink::insert(const Row& image) { copy_row(inserts_, image); }
void TableSink::update(const Row& image) { copy_row(updates_, image); }

void TableSink::remove(const Hash128& kh, const Row& key) {
  open_list(deletes_);
  deletes_.open().key("kh").string(kh.hex()).key("k").values(key).close();
  ++rows_;
}

void TableSink::upsert_updates(pg::Connection& c, const std::string& schema) {
  std::string stage = "_syncpipe_stage_" + std::to_string(++stage_no_);
  std::string target = c.quote_qualified(schema, schema_->name);
  c.exec_sql("CREATE TEMP TABLE " + stage + " (LIKE " + target + ") ON COMMIT DROP");
  {
    pg::CopyIn copy(c, "", stage, {});
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

void TableSink::flush(pg::Connection& c, const std::string& schema, const std::string& client, std::int64_t job) {
  if (!inserts_.empty()) {
    pg::CopyIn copy(c, schema, schema_->name, schema_->column_names());
    copy.add_rows(inserts_);
    copy.finish();
  }
  if (!updates_.empty()) upsert_updates(c, schema);
  if (!deletes_.str().empty()) {
    c.exec_params("SELECT sync_metadata.delete_rows($1, $2, $3::jsonb, $4)",
                  {pg::Param::text(client), pg::Param::text(schema_->name), pg::Param::text(close_list(deletes_)),
                   pg::Param::int64(job)});
  }
  reset(schema_, types_);
}

void MetaSink::state(const std::string& table, const Hash128& kh, const Row& key, const Hash128& src,
                     const std::optional<Hash128>& tgt, const char* status) {
  open_list(state_);
  state_.open().key("t").string(table).key("kh").string(kh.hex()).key("k").string(ndjson::values_json(key));
  state_.key("s").string(src.hex()).key("g");
  if (tgt) state_.string(tgt->hex()); else state_.null();
  state_.key("st").string(status).close();
}

void MetaSink::quarantine(const std::string& table, const Hash128& kh, const Row& key, const std::string& reason,
                          const Row& row) {
  open_list(quarantine_);
  quarantine_.open().key("t").string(table).key("kh").string(kh.hex()).key("k").string(ndjson::values_json(key));
  quarantine_.key("r").text(reason).key("d").string(ndjson::values_json(row)).close();
}

void MetaSink::conflict(ndjson::JsonBuf& entry) {
  open_list(conflicts_);
  conflicts_.raw(entry.str());
}

void MetaSink::progress(const std::string& table, std::int64_t rows, std::int64_t bytes) {
  open_list(progress_);
  progress_.open().key("t").string(table).key("r").integer(rows).key("b").integer(bytes).close();
}

void MetaSink::flush(pg::Connection& c, const std::string& host, const std::string& client, std::int64_t job) {
  auto p = [&](ndjson::JsonBuf& j) {
    return std::vector<pg::Param>{pg::Param::text(host), pg::Param::text(client), pg::Param::text(close_list(j)),
                                  pg::Param::int64(job)};
  };
  if (!state_.str().empty())  // base state, and quarantine entries of rows that now loaded
    c.exec_params(
        "WITH x AS (SELECT * FROM json_to_recordset($3::json) AS x(t text, kh text, k text, s text, g text, "
        "st text)), up AS (INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, "
        "src_hash, tgt_hash, status) SELECT $1, $2, x.t, decode(x.kh, 'hex'), x.k, decode(x.s, 'hex'), "
        "decode(x.g, 'hex'), x.st FROM x ON CONFLICT (client_id, key_hash) DO UPDATE SET "
        "table_name = EXCLUDED.table_name, key_json = EXCLUDED.key_json, src_hash = EXCLUDED.src_hash, "
        "tgt_hash = EXCLUDED.tgt_hash, status = EXCLUDED.status, updated_at = now() RETURNING 1), "
        "q AS (UPDATE sync_metadata.quarantine qq SET resolved_at = now(), job_id = $4 FROM x "
        "WHERE x.st = 'loaded' AND qq.client_id = $2 AND qq.key_hash = decode(x.kh, 'hex') "
        "AND qq.resolved_at IS NULL RETURNING 1) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM q)",
        p(state_));
  if (!quarantine_.str().empty())
    c.exec_params(
        "INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash, row_key, reason, row_data, "
        "job_id) SELECT $1, $2, x.t, decode(x.kh, 'hex'), x.k, x.r, x.d, $4 FROM json_to_recordset($3::json) "
        "AS x(t text, kh text, k text, r text, d text) ON CONFLICT (client_id, key_hash) DO UPDATE SET "
        "reason = EXCLUDED.reason, row_data = EXCLUDED.row_data, detected_at = now(), resolved_at = NULL, "
        "job_id = EXCLUDED.job_id",
        p(quarantine_));
  if (!conflicts_.str().empty())
    c.exec_params(
        "INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, row_key, key_hash, conflict_type, "
        "resolution_strategy, resolution, resolved_by, note, source_data, target_data, source_hash, target_hash, "
        "resolved_at, job_id) SELECT $1, $2, x.t, x.k, x.kh, x.kind, x.strategy, x.resolution, x.resolved_by, "
        "x.note, x.source, x.target, coalesce(x.sh, ''), coalesce(x.th, ''), "
        "CASE WHEN x.resolution = 'unresolved' THEN NULL ELSE clock_timestamp() END, $4 "
        "FROM json_to_recordset($3::json) AS x(t text, k text, kh text, kind text, strategy text, resolution text, "
        "resolved_by text, note text, source text, target text, sh text, th text) "
        "ON CONFLICT (client_id, key_hash, source_hash, target_hash) DO UPDATE SET "
        "resolution = EXCLUDED.resolution, resolution_strategy = EXCLUDED.resolution_strategy, "
        "resolved_by = EXCLUDED.resolved_by, note = EXCLUDED.note, resolved_at = EXCLUDED.resolved_at, "
        "job_id = EXCLUDED.job_id WHERE conflict_log.resolved_at IS NULL AND EXCLUDED.resolved_at IS NOT NULL",
        p(conflicts_));
  if (!progress_.str().empty())
    c.exec_params(
        "INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done, bytes_done) "
        "SELECT $4, $1, $2, x.t, x.r, x.b FROM json_to_recordset($3::json) AS x(t text, r bigint, b bigint) "
        "ON CONFLICT (job_id, table_name) DO UPDATE SET rows_done = EXCLUDED.rows_done, "
        "bytes_done = EXCLUDED.bytes_done, updated_at = now()",
        p(progress_));
}

}  // namespace syncpipe::load
