// What sync-status reads from sync_metadata in one read-only transaction.
// Times are the database clock's: ages and durations are computed in SQL
// (seconds), absolute times come as ISO 8601 UTC text and Unix seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace syncpipe::pg {
class Connection;
}

namespace syncpipe::status {

// One sync node (a row of v_cluster_health).
struct Node {
  std::string cluster, node;
  std::optional<std::string> hostname;
  std::string status;                      // hosts.status: active, deregistered ...
  std::string health;                      // active, degraded, offline
  std::optional<std::int64_t> heartbeat_age;  // seconds; nullopt = never seen
  bool is_leader = false;
};

// The lease row of a cluster.
struct Lease {
  std::string cluster;
  std::optional<std::string> holder;
  std::int64_t epoch = 0;
  std::optional<double> expires_in;  // seconds, negative once expired
  bool held = false;                 // holder set and not expired
};

// One tenant, with its latest jobs summarised and totals over all its jobs.
struct Tenant {
  std::string client, cluster, schema;
  bool enabled = true, archived = false;
  std::int64_t interval = 60;
  std::optional<std::string> last_status, last_error;
  std::optional<std::string> last_success_at;       // ISO 8601 UTC (finished_at)
  std::optional<double> last_success_ts;            // Unix seconds
  std::optional<std::int64_t> since_success;        // seconds since it finished
  std::optional<std::int64_t> lag;                  // seconds since that run's snapshot began
  std::optional<double> last_duration;              // of the latest finished job
  std::int64_t registered_age = 0;                  // seconds since registration
  std::int64_t conflicts_unresolved = 0, quarantined = 0;
  std::int64_t inserted = 0, updated = 0, deleted = 0, rows_quarantined = 0;
  std::int64_t jobs = 0, jobs_failed = 0;
  // Successful runs: their summed duration (seconds) and how many fell in
  // each bucket of Snapshot::duration_bounds (not cumulative; one more entry,
  // the last, for +Inf; their sum is the count). Empty when never succeeded.
  double run_seconds = 0;
  std::vector<std::int64_t> duration_buckets;
  std::optional<std::string> source_path;
  std::int64_t wal_bytes = 0;  // size of <source_path>-wal, 0 when unreadable
};

struct Job {
  std::int64_t id = 0;
  std::optional<std::string> node;
  std::optional<std::int64_t> epoch;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::optional<double> duration;
  std::string status;
  std::int64_t inserted = 0, updated = 0, deleted = 0, quarantined = 0;
  std::int64_t conflicts = 0, conflicts_unresolved = 0, bytes = 0;
  std::optional<std::string> error;
};

struct Conflict {
  std::int64_t id = 0;
  std::string client, table;
  std::optional<std::string> row_key, type, strategy, resolution, resolved_by;
  std::string detected_at;
  std::optional<std::string> resolved_at;
};

// Rows a tenant's jobs wrote to one table, by operation (sync_progress).
struct TableRows {
  std::string client, table;
  std::int64_t inserted = 0, updated = 0, deleted = 0, quarantined = 0;
};

// Conflicts of a tenant with one strategy and resolution ("unresolved" while
// open); `resolved` of them are settled.
struct ConflictCount {
  std::string client, strategy, resolution;
  std::int64_t detected = 0, resolved = 0;
};

struct Query {
  std::string host;                   // set as syncpipe.host_id; also the filter
  bool all_hosts = false;             // no host filter (row-level security still applies)
  std::optional<std::string> client;  // the tenant of `jobs` and a filter of `conflicts`
  bool jobs = false, conflicts = false;
  int limit = 20;                     // rows of jobs / conflicts
};

struct Snapshot {
  std::string now;  // ISO 8601 UTC, database clock
  std::vector<Node> nodes;
  std::vector<Lease> leases;
  std::vector<Tenant> tenants;      // all tenants visible (with Query::client too)
  std::vector<Job> jobs;            // when Query::jobs
  std::vector<Conflict> conflicts;  // when Query::conflicts
  std::vector<double> duration_bounds;  // upper bounds (s) of Tenant::duration_buckets
  std::vector<TableRows> tables;        // every tenant, ordered by client, table
  std::vector<ConflictCount> conflict_counts;  // every tenant, ordered
};

// Reads everything in one REPEATABLE READ, READ ONLY transaction with
// syncpipe.host_id set to q.host (sync_metadata has FORCE row-level security).
Snapshot load(pg::Connection& conn, const Query& q);

}  // namespace syncpipe::status
