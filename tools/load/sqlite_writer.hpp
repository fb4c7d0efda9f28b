// Writes a snapshot stream's schema and rows into a new SQLite database (the
// work of sync-load --to-sqlite between opening FILE.tmp and renaming it).
// Every row's kh and h are checked against its values before it is written,
// so a corrupt stream never becomes a file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/hash.hpp"
#include "ndjson/protocol.hpp"

namespace syncpipe::ndjson {
class Reader;
}
namespace syncpipe::sqlite {
class Database;
class Statement;
}  // namespace syncpipe::sqlite

namespace syncpipe::load {

class SqliteWriter {
 public:
  SqliteWriter(sqlite::Database& db, bool progress);
  ~SqliteWriter();

  // Creates the tables of `s` (in their order) and begins the transaction
  // that holds every row.
  void begin(const ndjson::SqliteSchema& s);
  // Reads the rest of the stream: table, row and table_end records.
  void rows(ndjson::Reader& in);
  // Commits the rows, then creates the indexes, triggers and views of `s`
  // and sets user_version; runs PRAGMA integrity_check (throws if not ok).
  void finish(const ndjson::SqliteSchema& s);

  std::uint64_t total_rows() const { return total_; }
  std::uint64_t tables() const { return tables_; }

 private:
  void on_table(ndjson::Reader& in);
  void on_row(ndjson::Reader& in);
  void on_table_end(ndjson::Reader& in);
  void show_progress(bool force);

  sqlite::Database& db_;
  bool progress_;
  ndjson::TableSchema table_;
  std::vector<std::string> names_;
  std::size_t content_key_ = SIZE_MAX;  // the synthetic _sqlite_row column: hashed, not written
  std::unique_ptr<sqlite::Statement> insert_;
  CanonicalBuffer cb_;
  Row row_;
  std::uint64_t rows_ = 0, total_ = 0, tables_ = 0;
  std::int64_t last_shown_ = 0;
};

}  // namespace syncpipe::load
