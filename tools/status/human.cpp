#include "human.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace syncpipe::status {

namespace {

using Table = std::vector<std::vector<std::string>>;

std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Left-aligned columns separated by two spaces; row 0 is the header.
std::string render_table(const Table& t) {
  std::vector<std::size_t> w;
  for (const auto& row : t)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], width(row[i]));
    }
  std::string out;
  for (const auto& row : t) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(w[i] - width(row[i]) + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string or_dash(const std::optional<std::string>& s) { return s && !s->empty() ? *s : "-"; }

std::string ago(const std::optional<std::int64_t>& s) { return s ? format_age(*s) + " ago" : "never"; }

std::string node_state(const Node& n) {
  if (n.status == "deregistered") return "Deregistered";
  if (n.health == "active") return "Running";
  if (n.health == "degraded") return "Degraded";
  return "Offline";
}

std::string summary(const Snapshot& s, const std::string& cluster) {
  std::string line = "Sync Cluster Status:";
  bool any = false;
  for (const auto& n : s.nodes) {
    if (n.cluster != cluster) continue;
    line += fmt::format(" {} {} ({}) ·", n.node, node_state(n), n.is_leader ? "Leader" : "Standby");
    any = true;
  }
  if (!any) line += " no nodes registered ·";
  std::optional<std::int64_t> last;
  std::int64_t conflicts = 0;
  for (const auto& t : s.tenants) {
    if (t.cluster != cluster) continue;
    if (t.since_success && (!last || *t.since_success < *last)) last = t.since_success;
    conflicts += t.conflicts_unresolved;
  }
  return line + fmt::format(" Last sync {} · Conflicts {}\n", ago(last), conflicts);
}

std::string lease_line(const Snapshot& s, const std::string& cluster) {
  for (const auto& l : s.leases) {
    if (l.cluster != cluster) continue;
    if (!l.held) return fmt::format("Lease: none held (epoch {})\n", l.epoch);
    return fmt::format("Lease: {}, epoch {}, expires in {:.0f} s\n", or_dash(l.holder), l.epoch,
                       l.expires_in.value_or(0));
  }
  return "Lease: never acquired\n";
}

std::string tenant_state(const Tenant& t) {
  if (t.archived) return "archived";
  if (!t.enabled) return "disabled";
  return t.last_status.value_or("new");
}

std::string tenants_table(const Snapshot& s) {
  Table t{{"CLIENT", "STATE", "LAST SUCCESS", "LAG", "LAST RUN", "CONFLICTS", "QUARANTINED", "LAST ERROR"}};
  for (const auto& c : s.tenants)
    t.push_back({c.client, tenant_state(c), ago(c.since_success), c.lag ? format_age(*c.lag) : "-",
                 c.last_duration ? fmt::format("{:.1f} s", *c.last_duration) : "-",
                 std::to_string(c.conflicts_unresolved), std::to_string(c.quarantined), or_dash(c.last_error)});
  return render_table(t);
}

std::string tenant_detail(const Tenant& t) {
  std::string out = fmt::format("\nTenant {} (host {}, schema {}): {}, interval {} s\n", t.client, t.cluster,
                                t.schema, tenant_state(t), t.interval);
  out += fmt::format("Last success: {} ({}), lag {}\n", or_dash(t.last_success_at), ago(t.since_success),
                     t.lag ? format_age(*t.lag) : "-");
  out += fmt::format("Unresolved conflicts {}, quarantined rows {}, SQLite WAL {} bytes ({})\n",
                     t.conflicts_unresolved, t.quarantined, t.wal_bytes, or_dash(t.source_path));
  out += fmt::format("Totals: {} jobs ({} failed); rows inserted {}, updated {}, deleted {}, quarantined {}\n",
                     t.jobs, t.jobs_failed, t.inserted, t.updated, t.deleted, t.rows_quarantined);
  return out;
}

std::string jobs_table(const std::vector<Job>& jobs) {
  Table t{{"JOB", "NODE", "EPOCH", "STARTED", "DURATION", "STATUS", "INSERTED", "UPDATED", "DELETED",
           "QUARANTINED", "CONFLICTS", "ERROR"}};
  for (const auto& j : jobs)
    t.push_back({std::to_string(j.id), or_dash(j.node), j.epoch ? std::to_string(*j.epoch) : "-", j.started_at,
                 j.duration ? fmt::format("{:.1f} s", *j.duration) : "-", j.status, std::to_string(j.inserted),
                 std::to_string(j.updated), std::to_string(j.deleted), std::to_string(j.quarantined),
                 fmt::format("{} ({} open)", j.conflicts, j.conflicts_unresolved), or_dash(j.error)});
  return "\nRecent jobs:\n" + render_table(t);
}

std::string conflicts_table(const std::vector<Conflict>& cs) {
  Table t{{"ID", "CLIENT", "TABLE", "KEY", "TYPE", "STRATEGY", "RESOLUTION", "DETECTED", "RESOLVED"}};
  for (const auto& c : cs)
    t.push_back({std::to_string(c.id), c.client, c.table, or_dash(c.row_key), or_dash(c.type), or_dash(c.strategy),
                 or_dash(c.resolution), c.detected_at, c.resolved_at ? *c.resolved_at : "UNRESOLVED"});
  return "\nConflicts (unresolved first):\n" + (cs.empty() ? std::string("none\n") : render_table(t));
}

std::string verdict(const std::vector<std::string>& problems) {
  if (problems.empty()) return "\nHealthy.\n";
  std::string out = "\nUnhealthy:\n";
  for (const auto& p : problems) out += "  - " + p + "\n";
  return out;
}

}  // namespace

std::string format_age(std::int64_t s) {
  if (s < 0) s = 0;
  if (s < 60) return fmt::format("{} s", s);
  if (s < 7200) return fmt::format("{} min", s / 60);
  if (s < 172800) return fmt::format("{} h", s / 3600);
  return fmt::format("{} d", s / 86400);
}

std::string render_human(const Snapshot& s, const Query& q, const std::vector<std::string>& problems) {
  std::set<std::string> clusters{q.host};
  if (q.all_hosts) {
    clusters.clear();
    for (const auto& n : s.nodes) clusters.insert(n.cluster);
    for (const auto& t : s.tenants) clusters.insert(t.cluster);
  }
  std::string out;
  for (const auto& c : clusters) out += summary(s, c) + lease_line(s, c);
  out += "\n" + (s.tenants.empty() ? std::string("No tenants.\n") : tenants_table(s));
  if (q.client && !s.tenants.empty()) out += tenant_detail(s.tenants.front()) + jobs_table(s.jobs);
  if (q.conflicts) out += conflicts_table(s.conflicts);
  return out + verdict(problems);
}

}  // namespace syncpipe::status
