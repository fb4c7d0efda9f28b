#include "pg/check.hpp"

#include <string>

#include "core/error.hpp"
#include "pg/error.hpp"

namespace syncpipe::pg::detail {
namespace {

std::string field(const PGresult* res, int code) {
  const char* v = res ? PQresultErrorField(res, code) : nullptr;
  return v ? v : "";
}

bool is_ok(const PGresult* res) {
  switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_EMPTY_QUERY:
      return res != nullptr;
    default:
      return false;
  }
}

bool is_copy(const PGresult* res) {
  const auto status = PQresultStatus(res);
  return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

}  // namespace

Result check(PGconn* conn, PGresult* raw) {
  Result res(raw);
  ensure_ok(conn, raw);
  return res;
}

void ensure_ok(PGconn* conn, const PGresult* res) {
  if (!is_ok(res)) throw_error(conn, res);
}

Result drain(PGconn* conn) {
  Result keep;
  while (PGresult* raw = PQgetResult(conn)) {
    Result cur(raw);
    const bool stop = is_copy(raw);
    if (!keep || is_ok(keep.native())) keep = std::move(cur);
    if (stop) break;
  }
  return keep;
}

void throw_error(PGconn* conn, const PGresult* res) {
  const std::string state = field(res, PG_DIAG_SQLSTATE);
  std::string primary = field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty() && res) primary = PQresultErrorMessage(res);
  if (primary.empty()) primary = PQerrorMessage(conn);
  if (PQstatus(conn) == CONNECTION_BAD || is_connection_sqlstate(state)) {
    std::string what = "connection to PostgreSQL lost: " + one_line(primary);
    if (!state.empty()) what += " [SQLSTATE " + state + "]";
    throw TempFailError(what);
  }
  throw DbError(state, primary, field(res, PG_DIAG_MESSAGE_DETAIL));
}

}  // namespace syncpipe::pg::detail
