// Schema evolution (sync-diff(1), "Schema changes"; sql/010_schema_evolution.sql):
// before a table is diffed, its table record is compared with what the
// tenant's PostgreSQL schema has.
//
//   new table            created through sync_metadata.add_table()
//   new column           added (nullable) through sync_metadata.add_column()
//   dropped column       stays in PostgreSQL, NULL in new rows; recorded once
//   renamed column       = dropped + new
//   key or type change   the table is stopped: its records are left out of
//                        the output (nothing of it is loaded or deleted), the
//                        others keep syncing; recorded once, and sync-diff
//                        exits 1 naming sync_metadata.reset_table()
//
// The types are the ones provisioning chooses (choose_pg_type) for a table
// with no rows: a declared type that does not name one (NUMERIC, DATETIME,
// none) becomes text, which holds every value. The functions run on a second
// connection in their own short transactions, committed at once: sync-diff's
// own transaction is read-only, and an added table or column is harmless
// even if this run fails later.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ndjson/protocol.hpp"

namespace syncpipe::pg {
class Connection;
}

namespace syncpipe::diff {

class Target;

class Evolver {
 public:
  Evolver(std::string dsn, const ndjson::Header& header);
  ~Evolver();

  // Makes the target fit `src` where it only needs adding (target's column
  // map updated), and returns why the table must be stopped, if it must.
  std::optional<std::string> fit(const ndjson::TableSchema& src, Target& target);

 private:
  std::optional<std::string> mismatch(const ndjson::TableSchema& src, const Target& target) const;
  void create_table(const ndjson::TableSchema& src, Target& target);
  void add_columns(const ndjson::TableSchema& src, Target& target);
  void note_dropped(const ndjson::TableSchema& src, const Target& target);
  // Runs one function call as sync_service, host id set, committed.
  bool call(const std::string& sql, const std::vector<std::string>& args);

  std::string dsn_;
  const ndjson::Header& header_;
  std::unique_ptr<pg::Connection> conn_;  // opened at the first change
};

}  // namespace syncpipe::diff
