// What one batch writes, buffered until the batch is flushed inside its
// transaction. TableSink holds the rows of the current table (COPY text for
// inserts and updates, keys for deletes); MetaSink holds the base state,
// quarantine and conflict-log rows, sent as one JSON parameter per statement
// (sync_metadata has row-level security, so COPY FROM is not available there).
#pragma once

#include <cstdint>
#include <string>

#include "core/hash.hpp"
#include "core/typemap.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"

namespace syncpipe::pg {
class Connection;
}

namespace syncpipe::load {

class TableSink {
 public:
  void reset(const ndjson::TableSchema* schema, std::vector<PgType> types);
  void insert(const Row& image);
  void update(const Row& image);
  void remove(const Hash128& kh, const Row& key);
  std::size_t bytes() const { return inserts_.size() + updates_.size() + deletes_.str().size(); }
  bool empty() const { return rows_ == 0; }
  // Writes what is buffered; REQUIRES: inside the batch's transaction.
  void flush(pg::Connection& c, const std::string& schema, const std::string& client, std::int64_t job);

 private:
  void copy_row(std::string& out, const Row& image);
  void upsert_updates(pg::Connection& c, const std::string& schema);

  const ndjson::TableSchema* schema_ = nullptr;
  std::vector<PgType> types_;
  std::string inserts_, updates_;
  ndjson::JsonBuf deletes_;
  std::size_t rows_ = 0, stage_no_ = 0;
};

class MetaSink {
 public:
  void state(const std::string& table, const Hash128& kh, const Row& key, const Hash128& src,
             const std::optional<Hash128>& tgt, const char* status);
  void quarantine(const std::string& table, const Hash128& kh, const Row& key, const std::string& reason,
                  const Row& row);
  // A conflict decision (or an unresolved conflict) for conflict_log.
  void conflict(ndjson::JsonBuf& entry);
  // Rows and bytes of one table written so far by this job (sync_progress).
  void progress(const std::string& table, std::int64_t rows, std::int64_t bytes);
  std::size_t bytes() const { return state_.str().size() + quarantine_.str().size() + conflicts_.str().size(); }
  void flush(pg::Connection& c, const std::string& host, const std::string& client, std::int64_t job);

 private:
  ndjson::JsonBuf state_, quarantine_, conflicts_, progress_;
};

}  // namespace syncpipe::load
