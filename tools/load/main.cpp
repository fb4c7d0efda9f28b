// sync-load: writes a change stream into PostgreSQL in fenced, idempotent
// batches, or (--provision) creates the tenant's schema (sync-load(1)).
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "cli/host.hpp"
#include "cli/options.hpp"
#include "cli/run_tool.hpp"
#include "core/base_state.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "fence.hpp"
#include "loader.hpp"
#include "ndjson/reader.hpp"
#include "provision.hpp"
#include "read_ahead.hpp"
#include "spool.hpp"

namespace syncpipe::load {

namespace {

struct Options {
  std::string dsn, spool_dir, node, state_dir;
  bool provision = false, no_lz4 = false, no_cache = false, spool = false;
  std::size_t max_record = ndjson::kDefaultMaxRecord;
  std::size_t batch_bytes = std::size_t{32} << 20;
  int idle_timeout_s = 10;
};

std::string default_spool_dir() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

Options parse_options(int argc, char** argv, bool& done) {
  cxxopts::Options o("sync-load", "Write a change stream into PostgreSQL in fenced, idempotent batches.");
  o.add_options()
      ("provision", "create or extend the tenant's schema and tables (admin credentials)")
      ("no-lz4", "with --provision: do not ask for lz4 TOAST compression")
      ("node", "node name for the job record (default: the lease holder, else the hostname)",
       cxxopts::value<std::string>()->default_value(""), "NODE")
      ("batch-bytes", "bytes of changes per transaction", cxxopts::value<std::size_t>()->default_value("33554432"),
       "BYTES")
      ("spool", "read and verify the whole stream before writing anything (all or nothing)")
      ("spool-dir", "where --spool keeps the input (default $TMPDIR or /tmp)",
       cxxopts::value<std::string>()->default_value(default_spool_dir()), "DIR")
      ("idle-timeout", "seconds a write transaction may sit idle before the server ends it (lease runs)",
       cxxopts::value<int>()->default_value("10"), "SECONDS");
  cli::add_state_dir(o, "directory of the local base-state cache kept in step with sync-diff's");
  cli::add_no_cache(o, "do not update the local base-state cache");
  cli::add_max_record_bytes(o, "largest record accepted");
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  done = cli::handled_info(o, res);
  Options opt;
  opt.dsn = cli::dsn(res);
  opt.provision = res.count("provision") > 0;
  opt.no_lz4 = res.count("no-lz4") > 0;
  opt.spool = res.count("spool") > 0;
  opt.node = res["node"].as<std::string>();
  opt.batch_bytes = res["batch-bytes"].as<std::size_t>();
  opt.spool_dir = res["spool-dir"].as<std::string>();
  opt.idle_timeout_s = res["idle-timeout"].as<int>();
  opt.state_dir = cli::state_dir(res);
  opt.no_cache = cli::no_cache(res);
  opt.max_record = cli::max_record_bytes(res);
  if (opt.batch_bytes < 4096) throw UsageError("--batch-bytes must be at least 4096");
  return opt;
}

std::string node_name(const Options& opt, const ndjson::StreamHead& head) {
  if (!opt.node.empty()) return opt.node;
  if (head.lease) return head.lease->holder;
  return cli::local_hostname();
}

// A lost connection during a lease run: if the lease has moved on, say
// "fenced" (exit 11), which is what happened to us; else report the loss.
[[noreturn]] void explain_lost_connection(const Options& opt, const ndjson::StreamHead& head,
                                          const TempFailError& lost) {
  try {
    auto conn = pg::Connection::open(opt.dsn, "sync-load");
    pg::Transaction tx(conn);
    scope_write(conn, head.header, head.lease, 0);
    check_fence(conn, head.lease);
  } catch (const FencedError& f) {
    throw FencedError(std::string(f.what()) + " (connection lost: " + lost.what() + ")");
  } catch (const Error&) {
  }
  throw lost;
}

// Where the records come from: stdin as it arrives, or (--spool) a copy of
// it whose trailer was verified before anything is written.
struct Input {
  Spool spool;
  std::optional<ReadAhead> ahead;
  std::optional<ndjson::Reader> reader;
  ndjson::StreamHead head;

  explicit Input(const Options& opt) {
    if (opt.spool) {
      spool_stdin(opt.spool_dir, opt.max_record, spool);
      reader.emplace(spool.fd, "spool", opt.max_record);
      ndjson::read_head(*reader, nullptr);
      head = spool.head;
    } else {
      ahead.emplace(0, 2 * opt.batch_bytes);
      auto& a = *ahead;
      reader.emplace([&a](char* dst, std::size_t n) { return a.read(dst, n); }, "stdin", opt.max_record);
      head = ndjson::read_head(*reader, nullptr);
    }
  }
};

// A failed run is recorded in sync_jobs, except when the stream itself was
// bad and nothing of it had been committed: then nothing at all is written.
bool should_record(const Error& e, const LoadResult& r) {
  return r.batches_committed > 0 || dynamic_cast<const InputError*>(&e) == nullptr;
}

int load(const Options& opt) {
  Input input(opt);
  const auto& head = input.head;
  auto conn = pg::Connection::open(opt.dsn, "sync-load");
  Batch::Context ctx{&conn, &head, node_name(opt, head), head.lease ? opt.idle_timeout_s : 0};
  LoadResult r;
  try {
    std::string cache = opt.no_cache ? "" : cache_path(opt.state_dir, head.header.client);
    apply_stream(*input.reader, ctx, {opt.batch_bytes, cache, input.ahead ? &*input.ahead : nullptr}, r);
  } catch (const TempFailError& e) {
    if (head.lease) explain_lost_connection(opt, head, e);
    throw;
  } catch (const FencedError&) {
    throw;
  } catch (const StaleError&) {
    throw;
  } catch (const Error& e) {
    if (should_record(e, r)) record_failure(ctx, e.what());
    throw;
  }
  const auto& c = r.counts;
  if (r.already_applied) {
    log::info("{}: stream {} was already applied; nothing to do", head.header.client, head.header.stream_id);
    return exit_code::kOk;
  }
  log::info("{}: {} inserted, {} updated, {} deleted, {} quarantined, {} recorded, {} conflicts ({} unresolved)",
            head.header.client, c.inserted, c.updated, c.deleted, c.quarantined, c.recorded, c.conflicts,
            c.unresolved);
  return c.unresolved > 0 ? exit_code::kManual : exit_code::kOk;
}

int run(int argc, char** argv) {
  bool done = false;
  Options opt = parse_options(argc, argv, done);
  if (done) return exit_code::kOk;
  if (opt.provision) return provision({opt.dsn, opt.max_record, "sync_service", !opt.no_lz4});
  return load(opt);
}

}  // namespace

}  // namespace syncpipe::load

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-load", argc, argv, syncpipe::load::run); }
