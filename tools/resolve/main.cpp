// sync-resolve: decides the conflicts of a record stream by the per-table
// strategies of a config file (sync-resolve(1), sync-protocol(7)).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "cli/host.hpp"
#include "cli/options.hpp"
#include "cli/run_tool.hpp"
#include "config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"
#include "settle.hpp"
#include "stream.hpp"

namespace syncpipe::resolve {

namespace {

struct Options {
  std::string config, check;
  bool strict = false, print_default = false;
  std::size_t max_record = ndjson::kDefaultMaxRecord;
  bool list = false;
  std::optional<std::int64_t> settle;
  std::string take, value;
  AdminOptions admin;
};

void admin_options(const cxxopts::ParseResult& res, Options& opt) {
  opt.list = res.count("list") > 0;
  if (res.count("settle")) opt.settle = res["settle"].as<std::int64_t>();
  if (res.count("take")) opt.take = res["take"].as<std::string>();
  if (res.count("value")) opt.value = res["value"].as<std::string>();
  opt.admin.dsn = cli::dsn(res);
  opt.admin.host = res.count("host") ? res["host"].as<std::string>() : cli::default_host();
  if (res.count("client")) opt.admin.client = res["client"].as<std::string>();
  opt.admin.json = res.count("json") > 0;
  if (opt.list && opt.settle) throw UsageError("--list and --settle exclude each other");
  if (opt.settle) {
    if (!opt.value.empty() && !opt.take.empty()) throw UsageError("--take and --value exclude each other");
    if (!opt.value.empty()) opt.take = "value";
    else if (opt.take != "source" && opt.take != "target")
      throw UsageError("--settle needs --take source|target or --value JSON");
  } else if (!opt.take.empty() || !opt.value.empty()) {
    throw UsageError("--take and --value go with --settle ID");
  }
  if ((opt.list || opt.settle) && opt.admin.host.empty())
    throw UsageError("the host id is empty (--host, $SYNCPIPE_HOST or hostname)");
}

Options parse_options(int argc, char** argv, bool& done) {
  cxxopts::Options o("sync-resolve", "Decide the conflicts of a record stream by per-table strategies.");
  o.add_options()
      ("config", "the conflict resolution config (default: the built-in one, see --default-config)",
       cxxopts::value<std::string>(), "FILE")
      ("check-config", "validate this config file and exit", cxxopts::value<std::string>(), "FILE")
      ("strict", "with --check-config or --config: treat warnings (unknown tables, columns, keys) as errors")
      ("default-config", "print the built-in config and exit");
  cli::add_max_record_bytes(o);
  o.add_options("Settling manual conflicts (sync_metadata.conflict_log)")
      ("list", "list the unresolved conflicts and exit")
      ("client", "with --list: only this tenant", cxxopts::value<std::string>(), "TENANT")
      ("json", "with --list: one JSON object per line")
      ("settle", "record an operator's decision for conflict ID; the next sync run applies it",
       cxxopts::value<std::int64_t>(), "ID")
      ("take", "with --settle: keep the source or the target row", cxxopts::value<std::string>(),
       "source|target")
      ("value", "with --settle: write this row instead (a JSON array of values in column order)",
       cxxopts::value<std::string>(), "JSON")
      ("host", "host id for row-level security (default: $SYNCPIPE_HOST, else the hostname)",
       cxxopts::value<std::string>(), "HOST");
  cli::add_common(o, true);
  auto res = cli::parse(o, argc, argv);
  done = cli::handled_info(o, res);
  Options opt;
  if (done) return opt;
  if (res.count("config")) opt.config = res["config"].as<std::string>();
  if (res.count("check-config")) opt.check = res["check-config"].as<std::string>();
  opt.strict = res.count("strict") > 0;
  opt.print_default = res.count("default-config") > 0;
  opt.max_record = cli::max_record_bytes(res);
  if (!opt.check.empty() && !opt.config.empty()) throw UsageError("--check-config and --config exclude each other");
  admin_options(res, opt);
  return opt;
}

// Loads the config (the built-in one without a path) and reports warnings;
// under --strict a warning is an error.
Config load(const std::string& path, bool strict) {
  std::vector<std::string> warnings;
  Config c = path.empty() ? parse_config(kDefaultConfigText, "(built-in config)", warnings) : load_config(path, warnings);
  for (const auto& w : warnings) log::warn("{}", w);
  if (strict && !warnings.empty())
    throw InputError(fmt::format("{} ({} warning(s), --strict)", warnings.front(), warnings.size()));
  return c;
}

int run(int argc, char** argv) {
  bool done = false;
  Options opt = parse_options(argc, argv, done);
  if (done) return exit_code::kOk;
  if (opt.list) {
    list_conflicts(opt.admin);
    return exit_code::kOk;
  }
  if (opt.settle) {
    settle_conflict(opt.admin, *opt.settle, opt.take, opt.value);
    return exit_code::kOk;
  }
  if (opt.print_default) {
    std::fputs(kDefaultConfigText, stdout);
    return exit_code::kOk;
  }
  if (!opt.check.empty()) {
    Config c = load(opt.check, opt.strict);
    log::info("{}: valid ({} table strategies, default {})", opt.check, c.tables.size(),
              strategy_name(c.default_rule.strategy));
    return exit_code::kOk;
  }
  Config cfg = load(opt.config, opt.strict);
  ndjson::Reader in(0, "stdin", opt.max_record);
  ndjson::RecordWriter out;
  ResolveStats s = resolve_stream(in, out, cfg);
  log::info("{} conflicts: {} source, {} target, {} merged, {} unresolved", s.conflicts, s.source, s.target, s.merge,
            s.unresolved);
  return exit_code::kOk;
}

}  // namespace

}  // namespace syncpipe::resolve

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-resolve", argc, argv, syncpipe::resolve::run); }
