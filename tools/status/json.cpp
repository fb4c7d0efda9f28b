#include "json.hpp"

#include "health.hpp"
#include "ndjson/json_out.hpp"

namespace syncpipe::status {

namespace {

using ndjson::JsonBuf;

void put(JsonBuf& j, std::string_view k, const std::optional<std::string>& v) {
  j.key(k);
  v ? j.string(*v) : j.null();
}
void put(JsonBuf& j, std::string_view k, const std::optional<std::int64_t>& v) {
  j.key(k);
  v ? j.integer(*v) : j.null();
}
void put(JsonBuf& j, std::string_view k, const std::optional<double>& v) {
  j.key(k);
  v ? j.real(*v) : j.null();
}
void put(JsonBuf& j, std::string_view k, const std::string& v) { j.key(k).string(v); }
void put(JsonBuf& j, std::string_view k, std::int64_t v) { j.key(k).integer(v); }
void put(JsonBuf& j, std::string_view k, bool v) { j.key(k).boolean(v); }

void node(JsonBuf& j, const Node& n) {
  j.open();
  put(j, "cluster", n.cluster);
  put(j, "node", n.node);
  put(j, "hostname", n.hostname);
  put(j, "status", n.status);
  put(j, "health", n.health);
  put(j, "heartbeat_age_seconds", n.heartbeat_age);
  put(j, "is_leader", n.is_leader);
  j.close();
}

void lease(JsonBuf& j, const Lease& l) {
  j.open();
  put(j, "cluster", l.cluster);
  put(j, "holder", l.holder);
  put(j, "epoch", l.epoch);
  put(j, "expires_in_seconds", l.expires_in);
  put(j, "held", l.held);
  j.close();
}

void rows(JsonBuf& j, std::int64_t ins, std::int64_t upd, std::int64_t del, std::int64_t quar) {
  j.key("rows").open();
  put(j, "inserted", ins);
  put(j, "updated", upd);
  put(j, "deleted", del);
  put(j, "quarantined", quar);
  j.close();
}

void tenant(JsonBuf& j, const Tenant& t) {
  j.open();
  put(j, "client", t.client);
  put(j, "cluster", t.cluster);
  put(j, "schema", t.schema);
  put(j, "sync_enabled", t.enabled);
  put(j, "archived", t.archived);
  put(j, "interval_seconds", t.interval);
  put(j, "last_job_status", t.last_status);
  put(j, "last_error", t.last_error);
  put(j, "last_success_at", t.last_success_at);
  put(j, "last_success_timestamp_seconds", t.last_success_ts);
  put(j, "seconds_since_success", t.since_success);
  put(j, "lag_seconds", t.lag);
  put(j, "last_run_duration_seconds", t.last_duration);
  put(j, "stale", t.enabled && !t.archived && is_stale(t));
  put(j, "conflicts_unresolved", t.conflicts_unresolved);
  put(j, "quarantined_rows", t.quarantined);
  rows(j, t.inserted, t.updated, t.deleted, t.rows_quarantined);
  put(j, "jobs", t.jobs);
  put(j, "jobs_failed", t.jobs_failed);
  put(j, "source_path", t.source_path);
  put(j, "sqlite_wal_bytes", t.wal_bytes);
  j.close();
}

void job(JsonBuf& j, const Job& x) {
  j.open();
  put(j, "job_id", x.id);
  put(j, "node", x.node);
  put(j, "epoch", x.epoch);
  put(j, "started_at", x.started_at);
  put(j, "finished_at", x.finished_at);
  put(j, "duration_seconds", x.duration);
  put(j, "status", x.status);
  rows(j, x.inserted, x.updated, x.deleted, x.quarantined);
  put(j, "conflicts", x.conflicts);
  put(j, "conflicts_unresolved", x.conflicts_unresolved);
  put(j, "bytes", x.bytes);
  put(j, "error", x.error);
  j.close();
}

void conflict(JsonBuf& j, const Conflict& c) {
  j.open();
  put(j, "id", c.id);
  put(j, "client", c.client);
  put(j, "table", c.table);
  put(j, "row_key", c.row_key);
  put(j, "conflict_type", c.type);
  put(j, "strategy", c.strategy);
  put(j, "resolution", c.resolution);
  put(j, "resolved_by", c.resolved_by);
  put(j, "detected_at", c.detected_at);
  put(j, "resolved_at", c.resolved_at);
  j.close();
}

template <typename T, typename F>
void array(JsonBuf& j, std::string_view k, const std::vector<T>& v, F each) {
  j.key(k).open_array();
  for (const auto& x : v) {
    j.comma();
    each(j, x);
  }
  j.close_array();
}

}  // namespace

std::string render_json(const Snapshot& s, const Query& q, const std::vector<std::string>& problems) {
  JsonBuf j;
  j.open();
  put(j, "version", std::int64_t{1});
  put(j, "generated_at", s.now);
  put(j, "host", q.host);
  put(j, "healthy", problems.empty());
  array(j, "problems", problems, [](JsonBuf& b, const std::string& p) { b.string(p); });
  array(j, "nodes", s.nodes, node);
  array(j, "leases", s.leases, lease);
  array(j, "clients", s.tenants, tenant);
  if (q.client) array(j, "jobs", s.jobs, job);
  if (q.conflicts) array(j, "conflicts", s.conflicts, conflict);
  j.close();
  return j.str() + "\n";
}

}  // namespace syncpipe::status
