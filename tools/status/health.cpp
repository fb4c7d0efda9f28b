#include "health.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace syncpipe::status {

namespace {

bool watched(const Tenant& t) { return t.enabled && !t.archived; }

// The clusters whose leadership is checked: the host asked for, plus (with
// --all-hosts) every cluster that has nodes or watched tenants.
std::set<std::string> clusters(const Snapshot& s, const std::string& host, bool all_hosts) {
  std::set<std::string> out{host};
  if (!all_hosts) return out;
  for (const auto& n : s.nodes)
    if (n.status != "deregistered") out.insert(n.cluster);
  for (const auto& t : s.tenants)
    if (watched(t)) out.insert(t.cluster);
  return out;
}

bool has_leader(const Snapshot& s, const std::string& cluster) {
  return std::any_of(s.leases.begin(), s.leases.end(),
                     [&](const Lease& l) { return l.cluster == cluster && l.held; });
}

}  // namespace

bool is_stale(const Tenant& t) {
  const std::int64_t age = t.since_success ? *t.since_success : t.registered_age;
  return age > kStaleFactor * t.interval;
}

std::vector<std::string> problems(const Snapshot& s, const std::string& host, bool all_hosts) {
  std::vector<std::string> out;
  for (const auto& c : clusters(s, host, all_hosts))
    if (!has_leader(s, c)) out.push_back(fmt::format("cluster {}: no node holds the lease", c));
  for (const auto& t : s.tenants) {
    if (!watched(t)) continue;
    if (t.last_status == "failed")
      out.push_back(fmt::format("{}: last job failed: {}", t.client, t.last_error.value_or("(no error recorded)")));
    if (is_stale(t)) {
      if (t.since_success)
        out.push_back(fmt::format("{}: last success {} s ago, over {} x its {} s interval", t.client,
                                  *t.since_success, kStaleFactor, t.interval));
      else
        out.push_back(fmt::format("{}: no successful sync in the {} s since registration", t.client,
                                  t.registered_age));
    }
  }
  return out;
}

}  // namespace syncpipe::status
