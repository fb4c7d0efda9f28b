#include "show.hpp"

#include <cstdio>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "common.hpp"
#include "core/exit_codes.hpp"
#include "ndjson/json_out.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::lease {

namespace {

struct LeaseRow {
  std::string holder, expires_at, acquired_at, released_at, expires_in;
  std::int64_t epoch = 0;
  bool valid = false;
};

struct NodeRow {
  std::string node, hostname, status, health, last_heartbeat;
  std::optional<std::int64_t> age;
  bool leader = false;
};

std::string lease_sql() {
  return "SELECT coalesce(holder, ''), epoch, coalesce(expires_at > clock_timestamp(), false), " +
         iso_utc("expires_at") + ", " + iso_utc("acquired_at") + ", " + iso_utc("released_at") +
         ", round(extract(epoch FROM expires_at - clock_timestamp()), 1)::text"
         " FROM sync_metadata.leader_election WHERE cluster_id = $1";
}

std::string nodes_sql() {
  return "SELECT node_name, coalesce(hostname, ''), status, health, heartbeat_age_seconds, is_leader, " +
         iso_utc("last_heartbeat") +
         " FROM sync_metadata.v_cluster_health WHERE host_id = $1 ORDER BY node_name";
}

std::optional<LeaseRow> read_lease(pg::Connection& conn, const std::string& cluster) {
  auto r = conn.exec_params(lease_sql(), {pg::Param::text(cluster)});
  if (r.ntuples() == 0) return std::nullopt;
  LeaseRow l;
  l.holder = r.get(0, 0);
  l.epoch = r.get_int64(0, 1);
  l.valid = r.get(0, 2) == "t";
  l.expires_at = r.get(0, 3);
  l.acquired_at = r.get(0, 4);
  l.released_at = r.get(0, 5);
  l.expires_in = r.get(0, 6);
  return l;
}

std::vector<NodeRow> read_nodes(pg::Connection& conn, const std::string& cluster) {
  auto r = conn.exec_params(nodes_sql(), {pg::Param::text(cluster)});
  std::vector<NodeRow> nodes;
  for (int i = 0; i < r.ntuples(); ++i) {
    NodeRow n{std::string(r.get(i, 0)), std::string(r.get(i, 1)), std::string(r.get(i, 2)),
              std::string(r.get(i, 3)), std::string(r.get(i, 6)), std::nullopt, r.get(i, 5) == "t"};
    if (!r.is_null(i, 4)) n.age = r.get_int64(i, 4);
    nodes.push_back(std::move(n));
  }
  return nodes;
}

void opt_string(ndjson::JsonBuf& j, std::string_view key, const std::string& v) {
  j.key(key);
  if (v.empty()) j.null(); else j.string(v);
}

void print_json(const std::string& cluster, const std::optional<LeaseRow>& l, const std::vector<NodeRow>& nodes) {
  ndjson::JsonBuf j;
  j.open().key("cluster").string(cluster);
  opt_string(j, "holder", l && l->valid ? l->holder : "");
  opt_string(j, "last_holder", l ? l->holder : "");
  j.key("epoch").integer(l ? l->epoch : 0).key("valid").boolean(l && l->valid);
  opt_string(j, "acquired_at", l ? l->acquired_at : "");
  opt_string(j, "expires_at", l ? l->expires_at : "");
  j.key("expires_in_seconds");
  if (l && !l->expires_in.empty()) j.raw(l->expires_in); else j.null();
  opt_string(j, "released_at", l ? l->released_at : "");
  j.key("nodes").open_array();
  for (const auto& n : nodes) {
    j.comma().open().key("node").string(n.node);
    opt_string(j, "hostname", n.hostname);
    opt_string(j, "last_heartbeat", n.last_heartbeat);
    j.key("heartbeat_age_seconds");
    if (n.age) j.integer(*n.age); else j.null();
    j.key("health").string(n.health).key("status").string(n.status).key("leader").boolean(n.leader).close();
  }
  j.close_array().close();
  std::printf("%s\n", j.str().c_str());
}

std::string lease_line(const std::optional<LeaseRow>& l) {
  if (!l || l->expires_at.empty()) return "none (never held)";
  if (l->valid) return fmt::format("{} (epoch {}, expires in {} s, at {})", l->holder, l->epoch, l->expires_in, l->expires_at);
  std::string how = l->released_at.empty() ? "expired" : "released";
  return fmt::format("none ({} {} s ago; last holder {}, epoch {})", how,
                     l->expires_in.empty() || l->expires_in[0] != '-' ? l->expires_in : l->expires_in.substr(1),
                     l->holder.empty() ? "-" : l->holder, l->epoch);
}

void print_human(const std::string& cluster, const std::optional<LeaseRow>& l, const std::vector<NodeRow>& nodes) {
  std::printf("cluster  %s\nleader   %s\n", cluster.c_str(), lease_line(l).c_str());
  if (nodes.empty()) std::printf("nodes    none has sent a heartbeat\n");
  for (const auto& n : nodes) {
    std::string age = n.age ? fmt::format("{} s ago", *n.age) : "never";
    std::string line = fmt::format("node     {:<16} {:<20} heartbeat {:<10} {:<8}", n.node,
                                   n.hostname.empty() ? "-" : n.hostname, age, n.health);
    if (n.status != "active") line += " " + n.status;
    if (n.leader) line += " leader";
    line.erase(line.find_last_not_of(' ') + 1);
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

int show(const ShowOptions& opt) {
  auto conn = pg::Connection::open(opt.dsn, "sync-lease");
  pg::Transaction tx(conn);
  scope(tx, opt.cluster, 2000);
  auto lease = read_lease(conn, opt.cluster);
  auto nodes = read_nodes(conn, opt.cluster);
  tx.commit();
  if (opt.json) print_json(opt.cluster, lease, nodes);
  else print_human(opt.cluster, lease, nodes);
  return exit_code::kOk;
}

}  // namespace syncpipe::lease
