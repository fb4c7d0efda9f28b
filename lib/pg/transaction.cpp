#include "pg/transaction.hpp"

#include <libpq-fe.h>

#include <cstring>

#include "pg/connection.hpp"

namespace syncpipe::pg {
namespace {

const char* begin_sql(Isolation level) {
  switch (level) {
    case Isolation::kRepeatableRead: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case Isolation::kReadCommitted: break;
  }
  return "BEGIN";
}

}  // namespace

Transaction::Transaction(Connection& conn, Isolation level) : conn_(conn) {
  conn_.exec_sql(begin_sql(level));
}

Transaction::~Transaction() {
  // Idle: a COMMIT that failed has ended the transaction already.
  if (done_ || conn_.is_bad() || PQtransactionStatus(conn_.native()) == PQTRANS_IDLE) return;
  // A failure here (e.g. the server went away) leaves nothing to undo.
  PQclear(PQexec(conn_.native(), "ROLLBACK"));
}

void Transaction::commit(const std::string& guard) {
  const Result res = conn_.exec_sql(guard.empty() ? std::string("COMMIT") : guard + ";\nCOMMIT");
  done_ = true;
  // COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK.
  if (std::strcmp(PQcmdStatus(res.native()), "COMMIT") != 0) {
    throw DbError("25P02", "COMMIT rolled back: the transaction had already failed", "");
  }
}

void Transaction::set_local(const std::string& name, const std::string& value) {
  conn_.exec_params("SELECT set_config($1, $2, true)", {Param::text(name), Param::text(value)});
}

}  // namespace syncpipe::pg
