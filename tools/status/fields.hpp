// How sync-status reads query results: every query gets the same typed
// parameters, and a Fields cursor reads one row's columns in SELECT order, so
// a query and its reader stay side by side.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"
#include "pg/connection.hpp"

namespace syncpipe::status {

// Reads the fields of one result row left to right.
class Fields {
 public:
  Fields(const pg::Result& res, int row) : res_(res), row_(row) {}
  std::string str() { return std::string(res_.get(row_, col_++)); }
  std::optional<std::string> opt_str() { return null() ? std::nullopt : std::optional(str()); }
  std::int64_t i64() { return null() ? (++col_, 0) : res_.get_int64(row_, col_++); }
  std::optional<std::int64_t> opt_i64() { return null() ? std::nullopt : std::optional(i64()); }
  std::optional<double> opt_f64() {
    if (null()) return std::nullopt;
    return std::strtod(str().c_str(), nullptr);
  }
  double f64() { return opt_f64().value_or(0); }
  bool boolean() { return str() == "t"; }

 private:
  bool null() {
    if (!res_.is_null(row_, col_)) return false;
    ++col_;
    return true;
  }
  const pg::Result& res_;
  int row_;
  int col_ = 0;
};

// Every query gets the same typed parameters (a query need not use all):
// $1 host, $2 all hosts, $3 client (NULL = all), $4 limit.
inline std::vector<pg::Param> params(const Query& q) {
  const pg::Param client{q.client, false, pg::Param::kTextOid};
  return {{q.host, false, pg::Param::kTextOid}, pg::Param::boolean(q.all_hosts), client,
          pg::Param::int64(q.limit)};
}

template <typename T, typename F>
std::vector<T> rows(pg::Connection& conn, const char* sql, const Query& q, F read) {
  auto res = conn.exec_params(sql, params(q));
  std::vector<T> out;
  for (int r = 0; r < res.ntuples(); ++r) {
    Fields f(res, r);
    out.push_back(read(f));
  }
  return out;
}

// The totals that come from sync_jobs, sync_progress and conflict_log plus
// their rollups (sql/009_retention.sql): run durations into the tenants of
// `s`, rows by table and conflicts by strategy into `s` itself.
void load_totals(pg::Connection& conn, const Query& q, Snapshot& s);

}  // namespace syncpipe::status
