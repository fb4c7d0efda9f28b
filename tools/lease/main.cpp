// sync-lease: the cluster lease that lets exactly one node of a host write
// (sync-lease(1)). Subcommands gate, release and show; each has its own
// options, parsed from the arguments after the subcommand.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "cli/run_tool.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "gate.hpp"
#include "release.hpp"
#include "show.hpp"

namespace syncpipe::lease {

namespace {

constexpr const char* kUsage =
    "Usage: sync-lease gate --cluster C --node N [--ttl SECONDS] [--lock-timeout-ms MS] [--dsn DSN]\n"
    "       sync-lease release --cluster C --node N [--lock-timeout-ms MS] [--dsn DSN]\n"
    "       sync-lease show --cluster C [--json] [--dsn DSN]\n"
    "       sync-lease SUBCOMMAND --help\n";

void add_cluster(cxxopts::Options& o, bool with_node) {
  o.add_options()("cluster", "cluster (= host) id (required)", cxxopts::value<std::string>(), "CLUSTER");
  if (with_node)
    o.add_options()("node", "this node's name, e.g. node-a (required)", cxxopts::value<std::string>(), "NODE");
}

std::string required(const cxxopts::ParseResult& res, const std::string& name) {
  if (!res.count(name)) throw UsageError(fmt::format("--{} is required", name));
  auto v = res[name].as<std::string>();
  check_id(name, v);
  return v;
}

int lock_timeout(const cxxopts::ParseResult& res) {
  int ms = res["lock-timeout-ms"].as<int>();
  if (ms < 1 || ms > 600000) throw UsageError("--lock-timeout-ms must be between 1 and 600000");
  return ms;
}

int run_gate(int argc, char** argv) {
  cxxopts::Options o("sync-lease gate", "Acquire or renew the cluster lease; print it, or exit 10 (standby).");
  add_cluster(o, true);
  o.add_options()("ttl", "lease time to live in seconds (fractions allowed)",
                  cxxopts::value<double>()->default_value("20"), "SECONDS")(
      "lock-timeout-ms", "give up (standby) when the lease row stays locked this long",
      cxxopts::value<int>()->default_value("2000"), "MS");
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  if (cli::handled_info(o, res)) return exit_code::kOk;
  GateOptions g{required(res, "cluster"), required(res, "node"), cli::dsn(res), res["ttl"].as<double>(),
                lock_timeout(res)};
  if (!(g.ttl_seconds >= 0.001 && g.ttl_seconds <= 86400)) throw UsageError("--ttl must be between 0.001 and 86400");
  return gate(g);
}

int run_release(int argc, char** argv) {
  cxxopts::Options o("sync-lease release", "End this node's lease now, if it holds it.");
  add_cluster(o, true);
  o.add_options()("lock-timeout-ms", "fail when the lease row stays locked this long",
                  cxxopts::value<int>()->default_value("2000"), "MS");
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  if (cli::handled_info(o, res)) return exit_code::kOk;
  return release({required(res, "cluster"), required(res, "node"), cli::dsn(res), lock_timeout(res)});
}

int run_show(int argc, char** argv) {
  cxxopts::Options o("sync-lease show", "Show the lease holder, epoch, expiry and each node's heartbeat.");
  add_cluster(o, false);
  o.add_options()("json", "one JSON object instead of text");
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  if (cli::handled_info(o, res)) return exit_code::kOk;
  return show({required(res, "cluster"), cli::dsn(res), res.count("json") > 0});
}

int run(int argc, char** argv) {
  if (argc < 2) throw UsageError("a subcommand is required: gate, release or show (see --help)");
  const std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    std::fputs(kUsage, stdout);
    return exit_code::kOk;
  }
  if (cmd == "--version") {
    std::printf("sync-lease %s\n", SYNCPIPE_VERSION);
    return exit_code::kOk;
  }
  if (cmd == "gate") return run_gate(argc - 1, argv + 1);
  if (cmd == "release") return run_release(argc - 1, argv + 1);
  if (cmd == "show") return run_show(argc - 1, argv + 1);
  throw UsageError(fmt::format("unknown subcommand '{}' (gate, release or show)", cmd));
}

}  // namespace

}  // namespace syncpipe::lease

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-lease", argc, argv, syncpipe::lease::run); }
