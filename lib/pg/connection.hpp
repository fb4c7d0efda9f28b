// A connection to PostgreSQL, opened the libpq way (PG* variables,
// PGSERVICE, passfile; an optional --dsn overrides). We may run behind a
// transaction-mode pooler, so this class offers no named prepared
// statements, no session SET and no advisory locks: everything goes through
// PQexecParams with unnamed statements.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pg/error.hpp"
#include "pg/param.hpp"
#include "pg/result.hpp"

struct pg_conn;  // libpq's PGconn, kept out of callers' headers

namespace syncpipe::pg {

enum class Format { kText, kBinary };

// True when the conninfo string or URI `dsn` holds a password (a password=
// key, or user:password@ in a URI). Throws UsageError when libpq cannot parse it.
bool dsn_has_password(const std::string& dsn);

class Connection {
 public:
  // `dsn` is a conninfo string or URI; empty means "libpq defaults".
  // `app_name` becomes application_name (e.g. "sync-load").
  // Throws (one line, never the password or the conninfo) RuntimeError
  // (exit 1) when the server refused the login: authentication failed, no
  // password found, role or database missing, no pg_hba.conf entry; that is
  // configuration, not worth a retry. Any other failure: TempFailError.
  static Connection open(const std::string& dsn, const std::string& app_name = "syncpipe");

  // Runs fixed SQL. Arguments are for identifiers already passed through
  // quote_ident() and for numbers; never interpolate values.
  template <typename... Args>
  Result exec(fmt::format_string<Args...> sql, Args&&... args) {
    return exec_sql(fmt::format(sql, std::forward<Args>(args)...));
  }
  Result exec_sql(const std::string& sql);

  // One statement with $1..$n parameters (unnamed statement).
  Result exec_params(const std::string& sql, const std::vector<Param>& params,
                     Format result_format = Format::kText);

  // "name" with quotes doubled, via PQescapeIdentifier. Throws InputError
  // for a NUL byte or an encoding libpq refuses.
  std::string quote_ident(std::string_view name) const;
  // quote_ident(schema) + "." + quote_ident(name); just name if schema is "".
  std::string quote_qualified(std::string_view schema, std::string_view name) const;

  int server_version() const;  // e.g. 150004
  int backend_pid() const;
  bool is_bad() const;         // PQstatus == CONNECTION_BAD

  // For lib/pg internals (COPY). Callers outside lib/pg cannot use it.
  pg_conn* native() const { return conn_.get(); }

 private:
  struct Deleter {
    void operator()(pg_conn* conn) const;
  };
  explicit Connection(pg_conn* conn) : conn_(conn) {}

  std::unique_ptr<pg_conn, Deleter> conn_;
};

}  // namespace syncpipe::pg
