#include "pg/connection.hpp"

#include <libpq-fe.h>

#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "pg/check.hpp"

namespace syncpipe::pg {
namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* opts) const { PQconninfoFree(opts); }
};

// The password written in `dsn`, if any. Throws UsageError for a dsn libpq
// cannot parse; its message is not repeated because it may quote the dsn.
std::string password_in(const std::string& dsn) {
  if (dsn.empty()) return {};
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoFree> opts(PQconninfoParse(dsn.c_str(), &err));
  if (err) PQfreemem(err);
  if (!opts) throw UsageError("invalid connection string: libpq cannot parse it");
  for (const PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val) return o->val;
  }
  return {};
}

// The server (or libpq) refused the login for a reason a retry cannot fix.
// libpq keeps no SQLSTATE for a failed connection, so the server's FATAL
// message is matched (28P01, 28000, 3D000 as PostgreSQL words them in English).
bool login_refused(PGconn* conn, const std::string& why) {
  if (PQconnectionNeedsPassword(conn)) return true;
  for (const char* sign : {"password authentication failed", "authentication failed for user",
                           "no password supplied", "no pg_hba.conf entry", "does not exist"})
    if (why.find(sign) != std::string::npos) return true;
  return false;
}

void redact(std::string& text, const std::string& secret) {
  if (secret.size() < 3) return;  // too short to find without mangling the text
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "***");
  }
}

// Server WARNINGs go to stderr on one line; NOTICE and below are dropped.
void on_notice(void*, const PGresult* res) {
  const char* sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (!sev || std::strcmp(sev, "WARNING") != 0) return;
  const char* msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::fprintf(stderr, "postgres: WARNING: %s\n", one_line(msg ? msg : "").c_str());
}

}  // namespace

bool dsn_has_password(const std::string& dsn) { return !password_in(dsn).empty(); }

void Connection::Deleter::operator()(pg_conn* conn) const { PQfinish(conn); }

Connection Connection::open(const std::string& dsn, const std::string& app_name) {
  const std::string dsn_password = password_in(dsn);
  // Later keywords win over what the dsn expands to (libpq processes them in order).
  std::vector<const char*> keys, values;
  if (!dsn.empty()) {
    keys.push_back("dbname");
    values.push_back(dsn.c_str());
  }
  keys.insert(keys.end(), {"application_name", "client_encoding", nullptr});
  values.insert(values.end(), {app_name.c_str(), "UTF8", nullptr});

  Connection conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
  if (!conn.conn_) throw TempFailError("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn.native()) != CONNECTION_OK) {
    std::string why = one_line(PQerrorMessage(conn.native()));
    redact(why, dsn_password);
    if (const char* pass = PQpass(conn.native())) redact(why, pass);
    if (login_refused(conn.native(), why))
      throw RuntimeError("PostgreSQL refused the login (check the role, the database and the passfile): " + why);
    throw TempFailError("cannot connect to PostgreSQL: " + why);
  }
  PQsetNoticeReceiver(conn.native(), on_notice, nullptr);
  return conn;
}

Result Connection::exec_sql(const std::string& sql) {
  return detail::check(native(), PQexec(native(), sql.c_str()));
}

Result Connection::exec_params(const std::string& sql, const std::vector<Param>& params,
                               Format result_format) {
  const auto n = params.size();
  std::vector<Oid> types(n);
  std::vector<const char*> values(n);
  std::vector<int> lengths(n), formats(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Param& p = params[i];
    types[i] = p.type;
    values[i] = p.value ? p.value->data() : nullptr;
    lengths[i] = p.value ? static_cast<int>(p.value->size()) : 0;
    formats[i] = p.binary ? 1 : 0;
  }
  return detail::check(
      native(), PQexecParams(native(), sql.c_str(), static_cast<int>(n), types.data(),
                             values.data(), lengths.data(), formats.data(),
                             result_format == Format::kBinary ? 1 : 0));
}

std::string Connection::quote_ident(std::string_view name) const {
  if (name.find('\0') != std::string_view::npos) {
    throw InputError("identifier contains a NUL byte");
  }
  char* quoted = PQescapeIdentifier(native(), name.data(), name.size());
  if (!quoted) {
    throw InputError("cannot quote identifier: " + one_line(PQerrorMessage(native())));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string Connection::quote_qualified(std::string_view schema, std::string_view name) const {
  if (schema.empty()) return quote_ident(name);
  return quote_ident(schema) + "." + quote_ident(name);
}

int Connection::server_version() const { return PQserverVersion(native()); }
int Connection::backend_pid() const { return PQbackendPID(native()); }
bool Connection::is_bad() const { return PQstatus(native()) == CONNECTION_BAD; }

}  // namespace syncpipe::pg
