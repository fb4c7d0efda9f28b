#include "metrics.hpp"

#include <map>
#include <set>

#include "health.hpp"
#include "prom.hpp"

namespace syncpipe::status {

namespace {

using prom::Exposition;
using I = std::int64_t;

void up(Exposition& e, bool ok, bool healthy) {
  e.family("sync_up", "gauge", "1 if sync-status could read sync_metadata from PostgreSQL, else 0.");
  e.sample({}, I{ok});
  if (!ok) return;
  e.family("sync_healthy", "gauge", "1 if sync-status found no health problem (leader present, tenants fresh).");
  e.sample({}, I{healthy});
}

void cluster(Exposition& e, const Snapshot& s) {
  e.family("sync_is_leader", "gauge", "1 if the node holds the cluster's unexpired lease, else 0.");
  for (const auto& n : s.nodes) e.sample({{"cluster", n.cluster}, {"node", n.node}}, I{n.is_leader});
  e.family("sync_node_heartbeat_age_seconds", "gauge", "Seconds since the node's last heartbeat.");
  for (const auto& n : s.nodes)
    if (n.heartbeat_age) e.sample({{"cluster", n.cluster}, {"node", n.node}}, *n.heartbeat_age);
  e.family("sync_lease_epoch", "gauge", "Fencing epoch of the cluster's lease; increases on every takeover.");
  for (const auto& l : s.leases) e.sample({{"cluster", l.cluster}}, l.epoch);
  e.family("sync_lease_expires_in_seconds", "gauge", "Seconds until the lease expires (negative once expired).");
  for (const auto& l : s.leases)
    if (l.expires_in) e.sample({{"cluster", l.cluster}}, *l.expires_in);
  e.family("sync_leader_changes_total", "counter",
           "Lease acquisitions after expiry or release (the fencing epoch): every election, the first included.");
  for (const auto& l : s.leases) e.sample({{"cluster", l.cluster}}, l.epoch);
}

bool exported(const Tenant& t) { return !t.archived; }

void tenant_times(Exposition& e, const Snapshot& s) {
  e.family("sync_tenant_info", "gauge", "1 for each registered, non-archived tenant: its cluster and schema.");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}, {"cluster", t.cluster}, {"schema", t.schema}}, I{1});
  e.family("sync_last_success_timestamp_seconds", "gauge",
           "Unix time the tenant's last successful sync finished (only tenants that ever succeeded).");
  for (const auto& t : s.tenants)
    if (exported(t) && t.last_success_ts) e.sample({{"client", t.client}}, *t.last_success_ts);
  e.family("sync_last_run_duration_seconds", "gauge", "Duration of the tenant's latest finished sync run.");
  for (const auto& t : s.tenants)
    if (exported(t) && t.last_duration) e.sample({{"client", t.client}}, *t.last_duration);
  e.family("sync_run_duration_seconds", "histogram",
           "Durations of the tenant's successful sync runs (started to finished, from sync_jobs and its rollup).");
  const std::vector<std::int64_t> none(s.duration_bounds.size() + 1, 0);
  for (const auto& t : s.tenants)
    if (exported(t))
      e.histogram({{"client", t.client}}, s.duration_bounds, t.duration_buckets.empty() ? none : t.duration_buckets,
                  t.run_seconds);
  e.family("sync_interval_seconds", "gauge", "The tenant's configured sync interval.");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}}, t.interval);
}

void tenant_counts(Exposition& e, const Snapshot& s) {
  e.family("sync_rows_synced_total", "counter", "Rows written to PostgreSQL, summed over all sync jobs, by operation.");
  for (const auto& t : s.tenants) {
    if (!exported(t)) continue;
    e.sample({{"client", t.client}, {"op", "inserted"}}, t.inserted);
    e.sample({{"client", t.client}, {"op", "updated"}}, t.updated);
    e.sample({{"client", t.client}, {"op", "deleted"}}, t.deleted);
    e.sample({{"client", t.client}, {"op", "quarantined"}}, t.rows_quarantined);
  }
  e.family("sync_jobs_failed_total", "counter", "Sync jobs of the tenant that ended in status failed.");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}}, t.jobs_failed);
  e.family("sync_conflicts_unresolved", "gauge", "Conflicts of the tenant not yet resolved (conflict_log).");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}}, t.conflicts_unresolved);
  e.family("sync_quarantined_rows", "gauge", "Rows of the tenant currently in quarantine (unresolved).");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}}, t.quarantined);
  e.family("sync_sqlite_wal_bytes", "gauge", "Size of the tenant's SQLite -wal file (0 if absent or unreadable).");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}}, t.wal_bytes);
}

std::set<std::string> exported_clients(const Snapshot& s) {
  std::set<std::string> out;
  for (const auto& t : s.tenants)
    if (exported(t)) out.insert(t.client);
  return out;
}

// Rows by table and operation, conflicts by strategy and resolution.
void tenant_breakdowns(Exposition& e, const Snapshot& s) {
  const auto clients = exported_clients(s);
  e.family("sync_table_rows_synced_total", "counter",
           "Rows written to one table of the tenant's schema, summed over all sync jobs, by operation.");
  for (const auto& r : s.tables) {
    if (!clients.count(r.client)) continue;
    e.sample({{"client", r.client}, {"table", r.table}, {"op", "inserted"}}, r.inserted);
    e.sample({{"client", r.client}, {"table", r.table}, {"op", "updated"}}, r.updated);
    e.sample({{"client", r.client}, {"table", r.table}, {"op", "deleted"}}, r.deleted);
    e.sample({{"client", r.client}, {"table", r.table}, {"op", "quarantined"}}, r.quarantined);
  }
  std::map<std::string, std::int64_t> detected;
  for (const auto& c : s.conflict_counts) detected[c.client] += c.detected;
  e.family("sync_conflicts_detected_total", "counter", "Conflicts detected for the tenant (conflict_log).");
  for (const auto& t : s.tenants)
    if (exported(t)) e.sample({{"client", t.client}}, detected[t.client]);
  e.family("sync_conflicts_resolved_total", "counter",
           "Conflicts of the tenant resolved, by the strategy that resolved them and the outcome.");
  for (const auto& c : s.conflict_counts)
    if (clients.count(c.client) && c.resolved > 0)
      e.sample({{"client", c.client}, {"strategy", c.strategy}, {"resolution", c.resolution}}, c.resolved);
}

}  // namespace

std::string render_metrics(const Snapshot& s, const std::vector<std::string>& problems) {
  Exposition e;
  up(e, true, problems.empty());
  cluster(e, s);
  tenant_times(e, s);
  tenant_counts(e, s);
  tenant_breakdowns(e, s);
  return e.text();
}

std::string render_down() {
  Exposition e;
  up(e, false, false);
  return e.text();
}

}  // namespace syncpipe::status
