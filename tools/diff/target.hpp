// What sync-diff reads from PostgreSQL, all inside ONE read-only REPEATABLE
// READ transaction so the generation, the base state and every target row
// come from the same snapshot: the tenant's generation, the column types of
// its schema, the base state (only when the local cache is not current),
// and target rows for the keys that changed (sync-diff(1), DESCRIPTION).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base_state.hpp"
#include "core/hash.hpp"
#include "core/typemap.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "pg/result.hpp"

namespace syncpipe::pg {
class Connection;
class Transaction;
}  // namespace syncpipe::pg

namespace syncpipe::diff {

// The target rows of one lookup, kept as PostgreSQL returned them so that a
// large value is held once: hash() reads the values in place, row() builds
// a target image only for a conflict record. Index i is the key's position.
class TargetRows {
 public:
  // The row hash of the target image, nullopt if the target has no such row.
  std::optional<Hash128> hash(std::size_t i, CanonicalBuffer& cb, const std::vector<std::string>& names) const;
  // The target image, nullopt if the target has no such row.
  std::optional<Row> row(std::size_t i) const;

 private:
  friend class Target;
  pg::Result res_;
  std::vector<int> tuple_;  // key position -> result row, -1 for none
  std::vector<PgType> types_;
};

class Target {
 public:
  // Begins the transaction: READ ONLY, REPEATABLE READ, the host id for
  // row-level security, extra_float_digits = 1 and bytea_output = hex (what
  // from_pg_text() requires).
  Target(pg::Connection& conn, const ndjson::Header& header);
  ~Target();

  // Column name -> type of every table of the tenant's schema.
  void read_types();
  // The columns of `table`, nullopt if the schema has no such table.
  const std::map<std::string, std::string>* columns(const std::string& table) const;
  // Every row_state row of the tenant (fetched through a cursor in chunks).
  BaseState read_base();
  bool is_empty(const std::string& table);

  // The target rows for a batch of keys (images of the key columns, in key
  // order; nullopt = cannot exist in the target, not looked up).
  TargetRows lookup(const ndjson::TableSchema& t, const std::vector<PgType>& types,
                    const std::vector<std::optional<Row>>& keys);
  // key_json of base entries, decoded: kh -> key values.
  std::vector<std::pair<Hash128, Row>> keys_of(const std::vector<Hash128>& khs);
  // An operator's settlement of this very conflict (sync-resolve --settle:
  // same key, source and target hashes, still unresolved), or nullopt.
  // Read once per run.
  std::optional<ndjson::Settlement> settlement(const Hash128& kh, const std::optional<Hash128>& h,
                                               const std::optional<Hash128>& target_h);

 private:
  pg::Connection& conn_;
  const ndjson::Header& header_;
  std::unique_ptr<pg::Transaction> tx_;
  std::map<std::string, std::map<std::string, std::string>> types_;
  std::optional<std::map<std::string, ndjson::Settlement>> settled_;  // "kh|h|target_h" ->
};

}  // namespace syncpipe::diff
