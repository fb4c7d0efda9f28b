// sync-status: what the sync cluster of a host is doing, for operators
// (human report, --json) and for Prometheus (--textfile), with an exit status
// that says healthy or not (sync-status(1)).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/host.hpp"
#include "cli/run_tool.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "health.hpp"
#include "human.hpp"
#include "json.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "pg/connection.hpp"
#include "textfile.hpp"

namespace syncpipe::status {

namespace {

inline constexpr const char* kPromFile = "syncpipe.prom";

struct Options {
  Query query;
  std::string dsn;
  std::optional<std::string> textfile_dir;
  bool json = false;
};

cxxopts::Options describe() {
  cxxopts::Options o("sync-status", "Show the sync cluster's state; write Prometheus textfile metrics.");
  o.add_options()
      ("host", "host id (cluster) to report on (default: $SYNCPIPE_HOST, else the hostname)",
       cxxopts::value<std::string>(), "HOST")
      ("all-hosts", "report every host the connecting role may see (row-level security still applies)")
      ("client", "one tenant's detail: its recent jobs", cxxopts::value<std::string>(), "TENANT")
      ("conflicts", "show the conflict log, unresolved first")
      ("limit", "rows of jobs and conflicts to show", cxxopts::value<int>()->default_value("20"), "N")
      ("json", "print one JSON object instead of the human report")
      ("textfile", "write DIR/syncpipe.prom for node_exporter's textfile collector, atomically",
       cxxopts::value<std::string>(), "DIR");
  cli::add_common(o);
  return o;
}

Options parse_options(int argc, char** argv, bool& done) {
  auto o = describe();
  auto res = cli::parse(o, argc, argv);
  done = cli::handled_info(o, res);
  Options opt;
  if (done) return opt;
  opt.dsn = cli::dsn(res);
  opt.query.host = res.count("host") ? res["host"].as<std::string>() : cli::default_host();
  if (opt.query.host.empty()) throw UsageError("the host id is empty (--host, $SYNCPIPE_HOST or hostname)");
  opt.query.all_hosts = res.count("all-hosts") > 0;
  if (res.count("client")) opt.query.client = res["client"].as<std::string>();
  opt.query.jobs = opt.query.client.has_value();
  opt.query.conflicts = res.count("conflicts") > 0;
  opt.query.limit = res["limit"].as<int>();
  if (opt.query.limit < 0) throw UsageError("--limit must be 0 or more");
  opt.json = res.count("json") > 0;
  if (res.count("textfile")) opt.textfile_dir = res["textfile"].as<std::string>();
  if (opt.textfile_dir && opt.textfile_dir->empty()) throw UsageError("--textfile needs a directory");
  return opt;
}

Snapshot load_or_report_down(const Options& opt) {
  try {
    auto conn = pg::Connection::open(opt.dsn, "sync-status");
    return load(conn, opt.query);
  } catch (const Error&) {
    // Tell Prometheus that the read failed, rather than leave stale numbers.
    if (opt.textfile_dir) write_atomically(*opt.textfile_dir, kPromFile, render_down());
    throw;
  }
}

// The report's view: only the asked tenant with --client.
Snapshot view_of(const Snapshot& s, const Query& q) {
  if (!q.client) return s;
  Snapshot v = s;
  v.tenants.clear();
  std::copy_if(s.tenants.begin(), s.tenants.end(), std::back_inserter(v.tenants),
               [&](const Tenant& t) { return t.client == *q.client; });
  if (v.tenants.empty()) throw RuntimeError("no tenant " + *q.client + " visible for host " + q.host);
  return v;
}

int run(int argc, char** argv) {
  bool done = false;
  Options opt = parse_options(argc, argv, done);
  if (done) return exit_code::kOk;

  const Snapshot all = load_or_report_down(opt);
  if (opt.textfile_dir)
    write_atomically(*opt.textfile_dir, kPromFile,
                     render_metrics(all, problems(all, opt.query.host, opt.query.all_hosts)));
  const Snapshot view = view_of(all, opt.query);
  const auto found = problems(view, opt.query.host, opt.query.all_hosts);
  const bool quiet_textfile = opt.textfile_dir && !opt.query.client && !opt.query.conflicts;
  if (opt.json) {
    std::fputs(render_json(view, opt.query, found).c_str(), stdout);
  } else if (!quiet_textfile) {
    std::fputs(render_human(view, opt.query, found).c_str(), stdout);
  } else {
    for (const auto& p : found) log::warn("unhealthy: {}", p);
  }
  if (std::fflush(stdout) != 0) throw RuntimeError("cannot write the report to stdout");
  return found.empty() ? exit_code::kOk : exit_code::kUnhealthy;
}

}  // namespace

}  // namespace syncpipe::status

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-status", argc, argv, syncpipe::status::run); }
