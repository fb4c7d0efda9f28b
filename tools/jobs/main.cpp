// sync-jobs: the scheduler's side of sync_metadata.sync_jobs for
// syncpipe-cycle (sync-jobs(1)). Subcommands due, fail and request; each has
// its own options, parsed from the arguments after the subcommand.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "cli/run_tool.hpp"
#include "core/error.hpp"
#include "due.hpp"
#include "ndjson/lease_in.hpp"
#include "core/text_check.hpp"
#include "record.hpp"

namespace syncpipe::jobs {

namespace {

constexpr const char* kUsage =
    "Usage: sync-jobs due [--dsn DSN] < LEASE\n"
    "       sync-jobs fail --client T --after JOB_ID --error TEXT [--dsn DSN] < LEASE\n"
    "       sync-jobs request --cluster C (--all | CLIENT...) [--dsn DSN]\n"
    "       sync-jobs SUBCOMMAND --help\n";

constexpr const char* kLeaseHint = "expected the lease stream of sync-lease gate on stdin";

// Non-empty valid UTF-8 without control characters, at most `max` bytes.
std::string checked(const std::string& what, const std::string& value, std::size_t max) {
  if (value.empty()) throw UsageError(fmt::format("{} must not be empty", what));
  if (value.size() > max) throw UsageError(fmt::format("{} is longer than {} bytes", what, max));
  if (!valid_utf8(value)) throw UsageError(fmt::format("{} is not valid UTF-8", what));
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) throw UsageError(fmt::format("{} contains a control character", what));
  return value;
}

std::string required(const cxxopts::ParseResult& res, const std::string& name, std::size_t max = 200) {
  if (!res.count(name)) throw UsageError(fmt::format("--{} is required", name));
  return checked("--" + name, res[name].as<std::string>(), max);
}

ndjson::Lease lease_from_stdin() { return ndjson::read_lease_stream(0, 1 << 20, kLeaseHint).lease; }

int run_due(int argc, char** argv) {
  cxxopts::Options o("sync-jobs due", "Print the tenants of the lease's host that a cycle must run now.");
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  if (cli::handled_info(o, res)) return exit_code::kOk;
  return due({cli::dsn(res), lease_from_stdin()});
}

int run_fail(int argc, char** argv) {
  cxxopts::Options o("sync-jobs fail", "Record a failed run of a tenant with its cause (fenced by the lease).");
  o.add_options()("client", "tenant id (required)", cxxopts::value<std::string>())(
      "after", "the last job id before the run began, as sync-jobs due printed it (required)",
      cxxopts::value<std::int64_t>())("error", "the cause, one line (required)", cxxopts::value<std::string>());
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  if (cli::handled_info(o, res)) return exit_code::kOk;
  if (!res.count("after")) throw UsageError("--after is required");
  FailOptions f{cli::dsn(res), required(res, "client"), required(res, "error", 4000), res["after"].as<std::int64_t>(),
                {}};
  f.lease = lease_from_stdin();
  return fail(f);
}

int run_request(int argc, char** argv) {
  cxxopts::Options o("sync-jobs request", "Make tenants due now: the lease holder's next cycle runs them.");
  o.add_options()("cluster", "cluster (= host) id (required)", cxxopts::value<std::string>())(
      "all", "every enabled tenant of the cluster")("clients", "tenant ids",
                                                     cxxopts::value<std::vector<std::string>>());
  o.parse_positional({"clients"});
  o.positional_help("CLIENT...");
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  if (cli::handled_info(o, res)) return exit_code::kOk;
  RequestOptions r{cli::dsn(res), required(res, "cluster"), {}};
  if (res.count("clients"))
    for (const auto& c : res["clients"].as<std::vector<std::string>>()) r.clients.push_back(checked("CLIENT", c, 200));
  if (r.clients.empty() == !res.count("all")) throw UsageError("name the tenants, or --all (not both)");
  return request(r);
}

int run(int argc, char** argv) {
  if (argc < 2) throw UsageError("a subcommand is required: due, fail or request (see --help)");
  const std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    std::fputs(kUsage, stdout);
    return exit_code::kOk;
  }
  if (cmd == "--version") {
    std::printf("sync-jobs %s\n", SYNCPIPE_VERSION);
    return exit_code::kOk;
  }
  if (cmd == "due") return run_due(argc - 1, argv + 1);
  if (cmd == "fail") return run_fail(argc - 1, argv + 1);
  if (cmd == "request") return run_request(argc - 1, argv + 1);
  throw UsageError(fmt::format("unknown subcommand '{}' (due, fail or request)", cmd));
}

}  // namespace

}  // namespace syncpipe::jobs

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-jobs", argc, argv, syncpipe::jobs::run); }
