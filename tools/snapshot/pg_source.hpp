// What sync-snapshot --from-postgres reads from PostgreSQL, all inside ONE
// read-only REPEATABLE READ transaction with the host id set for row-level
// security: the registration, the captured SQLite schema, the column types
// of the tenant's tables, the open quarantine entries and (for columns whose
// source storage class the type cannot tell) the base state's row hashes.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/hash.hpp"
#include "core/typemap.hpp"
#include "ndjson/protocol.hpp"

namespace syncpipe::pg {
class Connection;
class Transaction;
}  // namespace syncpipe::pg

namespace syncpipe::snapshot {

struct HashKey {
  std::size_t operator()(const Hash128& h) const { return static_cast<std::size_t>(h.hi ^ (h.lo * 0x9e3779b97f4a7c15ull)); }
};
using HashMap = std::unordered_map<Hash128, Hash128, HashKey>;

struct Quarantined {
  Hash128 kh;
  std::string row_data;  // the source row as a JSON array of protocol values
};

class PgSource {
 public:
  PgSource(pg::Connection& conn, const std::string& client, const std::string& host);
  ~PgSource();

  // The tenant's schema in PostgreSQL and the captured sqlite_master. Throws
  // RuntimeError when the tenant is not provisioned on this host, or was
  // provisioned before its schema was captured.
  std::string schema_name() const { return schema_; }
  const ndjson::SqliteSchema& sqlite_schema() const { return captured_; }
  // The PostgreSQL types of `table`'s columns, in the order of `columns`;
  // empty when the schema has no such table and `may_be_absent`. Throws
  // RuntimeError naming a column PostgreSQL does not have, or one more.
  std::vector<PgType> types(const ndjson::TableSchema& table, bool may_be_absent);
  // Throws RuntimeError naming a table of the tenant's schema that the
  // captured schema does not have (its rows could not be restored).
  template <typename Plans>
  void check_no_other_tables(const Plans& plans) const {
    for (const auto& [name, cols] : types_) {
      bool known = false;
      for (const auto& p : plans) known = known || p.schema.name == name;
      if (!known) unknown_table(name);
    }
  }
  std::vector<Quarantined> quarantined(const std::string& table);
  HashMap source_hashes(const std::string& table);
  pg::Connection& conn() { return conn_; }

 private:
  [[noreturn]] void unknown_table(const std::string& name) const;
  void read_registration();
  void read_schema();

  pg::Connection& conn_;
  std::string client_, host_, schema_;
  std::unique_ptr<pg::Transaction> tx_;
  ndjson::SqliteSchema captured_;
  std::map<std::string, std::map<std::string, std::string>> types_;
};

}  // namespace syncpipe::snapshot
