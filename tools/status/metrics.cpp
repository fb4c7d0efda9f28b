#include "metrics.hpp"

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
}

bool exported(const Tenant& t) { return !t.archived; }

void tenant_times(Exposition& e, const Snapshot& s) {
  e.family("sync_last_success_timestamp_seconds", "gauge",
           "Unix time the tenant's last successful sync finished (only tenants that ever succeeded).");
  for (const auto& t : s.tenants)
    if (exported(t) && t.last_success_ts) e.sample({{"client", t.client}}, *t.last_success_ts);
  e.family("sync_last_run_duration_seconds", "gauge", "Duration of the tenant's latest finished sync run.");
  for (const auto& t : s.tenants)
    if (exported(t) && t.last_duration) e.sample({{"client", t.client}}, *t.last_duration);
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

}  // namespace

std::string render_metrics(const Snapshot& s, const std::vector<std::string>& problems) {
  Exposition e;
  up(e, true, problems.empty());
  cluster(e, s);
  tenant_times(e, s);
  tenant_counts(e, s);
  return e.text();
}

std::string render_down() {
  Exposition e;
  up(e, false, false);
  return e.text();
}

}  // namespace syncpipe::status
