// What one batch writes inside its transaction. TableSink streams the
// inserts of the current table with COPY as they arrive (the server works
// while the next rows are read) and buffers its updates (COPY text) and
// deletes (keys) until flush(). MetaSink buffers the base state (binary
// arrays), quarantine and conflict-log rows (one JSON parameter per
// statement) until the batch ends: sync_metadata has row-level security, so
// COPY FROM is refused there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/hash.hpp"
#include "core/typemap.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "pg/binary_array.hpp"
#include "pg/copy.hpp"

namespace syncpipe::ndjson {
struct Decision;
}

namespace syncpipe::load {

class TableSink {
 public:
  // The table whose changes follow, written to `schema` over `conn`.
  // REQUIRES: the previous table was flushed.
  void reset(pg::Connection* conn, const std::string& schema, const ndjson::TableSchema* table,
             std::vector<PgType> types);
  // Sent at once: a COPY stays open on the connection from the first insert
  // until flush(). REQUIRES: inside the batch's transaction.
  void insert(const Row& image);
  void update(const Row& image);
  void remove(const Hash128& kh, const Row& key);
  bool empty() const { return rows_ == 0; }
  // Ends the COPY and writes what is buffered. REQUIRES: inside the batch's transaction.
  void flush(const std::string& client, std::int64_t job);

 private:
  void copy_row(std::string& out, const Row& image);
  void upsert_updates();

  pg::Connection* conn_ = nullptr;
  std::string schema_name_;
  const ndjson::TableSchema* schema_ = nullptr;
  std::vector<PgType> types_;
  std::optional<pg::CopyIn> copy_;
  std::string updates_;
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
  void conflict(const ndjson::Decision& d);
  // Rows and bytes of one table written so far by this job (sync_progress).
  void progress(const std::string& table, std::int64_t rows, std::int64_t bytes);
  // The tenant had no base state when this job began: base-state rows are
  // plain inserts (no conflict check, no quarantine entries to close).
  void set_new_base(bool v) { new_base_ = v; }
  void flush(pg::Connection& c, const std::string& host, const std::string& client, std::int64_t job);

 private:
  // row_state columns, one array each (unnest() zips them back into rows)
  struct StateArrays {
    pg::BinaryArray table{pg::Param::kTextOid}, kh{pg::Param::kByteaOid}, key{pg::Param::kTextOid},
        src{pg::Param::kByteaOid}, tgt{pg::Param::kByteaOid}, status{pg::Param::kTextOid};
    void clear();
  };
  void flush_state(pg::Connection& c, const std::string& host, const std::string& client, std::int64_t job);

  StateArrays state_;
  bool new_base_ = false;
  ndjson::JsonBuf quarantine_, conflicts_, progress_;
};

}  // namespace syncpipe::load
