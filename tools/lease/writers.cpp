#include "writers.hpp"

#include "cli/writer_tag.hpp"
#include "core/log.hpp"
#include "pg/connection.hpp"

namespace syncpipe::lease {

namespace {

// The epoch is compared as a number only once it is known to be one (SQL
// does not promise the order in which AND evaluates its operands).
constexpr const char* kEndSql = R"(
SELECT pid, split_part(application_name, ':', 2), state, pg_terminate_backend(pid, $3::bigint)
  FROM pg_stat_activity
 WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid()
   AND starts_with(application_name, $1)
   AND CASE WHEN split_part(application_name, ':', 2) ~ '^[0-9]{1,18}$'
            THEN split_part(application_name, ':', 2)::bigint < $2::bigint ELSE false END)";

}  // namespace

int end_older_writers(pg::Connection& conn, const std::string& cluster, std::int64_t epoch, int wait_ms) {
  auto r = conn.exec_params(kEndSql, {pg::Param::text(cli::writer_tag_prefix(cluster)), pg::Param::int64(epoch),
                                      pg::Param::int64(wait_ms)});
  for (int i = 0; i < r.ntuples(); ++i) {
    if (r.get(i, 3) == "t")
      log::warn("cluster {}: ended the load of epoch {} (backend pid {}, {}): it can no longer commit and held its "
                "locks",
                cluster, r.get(i, 1), r.get(i, 0), r.get(i, 2));
    else
      log::warn("cluster {}: the load of epoch {} (backend pid {}) did not exit within {} ms", cluster, r.get(i, 1),
                r.get(i, 0), wait_ms);
  }
  return r.ntuples();
}

}  // namespace syncpipe::lease
