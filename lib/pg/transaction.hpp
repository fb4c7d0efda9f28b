// A transaction on one Connection: BEGIN on construction, ROLLBACK on
// destruction unless commit() ran. Settings are transaction-local only
// (set_local), which is safe behind a transaction-mode pooler.
#pragma once

#include <string>

namespace syncpipe::pg {

class Connection;

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

class Transaction {
 public:
  explicit Transaction(Connection& conn, Isolation level = Isolation::kReadCommitted);
  ~Transaction();  // ROLLBACK unless committed; never throws
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Throws DbError if the server rolled back instead (the transaction had
  // already failed), or TempFailError if the connection went away, in which
  // case the outcome is unknown to us.
  //
  // A non-empty `guard` (fixed SQL, no parameters) is sent with the COMMIT
  // in ONE message: the server runs both back to back and never waits on
  // the client in between, so a lock the guard takes is held only while the
  // server commits. If the guard raises, nothing commits: its DbError is
  // thrown and the destructor rolls back.
  void commit(const std::string& guard = {});

  // SELECT set_config(name, value, true): lasts until COMMIT/ROLLBACK.
  // This is how the host id reaches row-level security policies.
  void set_local(const std::string& name, const std::string& value);

  Connection& connection() { return conn_; }

 private:
  Connection& conn_;
  bool done_ = false;
};

}  // namespace syncpipe::pg
