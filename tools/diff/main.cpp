// sync-diff: the snapshot against the last loaded state and the target,
// written as change and conflict records (sync-diff(1), sync-protocol(7)).
#include "check_base.hpp"
#include "cli/options.hpp"
#include "cli/registration.hpp"
#include "cli/run_tool.hpp"
#include "core/base_state.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "differ.hpp"
#include "evolve.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"
#include "pg/connection.hpp"
#include "target.hpp"

namespace syncpipe::diff {

namespace {

struct Options {
  std::string dsn, state_dir;
  bool no_cache = false, against_base = false;
  std::size_t max_record = ndjson::kDefaultMaxRecord;
  DiffOptions diff;
};

Options parse_options(int argc, char** argv, bool& done) {
  cxxopts::Options o("sync-diff", "Compare a snapshot stream with the tenant's base state and target; "
                                  "write only what changed.");
  cli::add_state_dir(o);
  cli::add_no_cache(o, "neither read nor write the local cache: read the base state from PostgreSQL");
  o.add_options()
      ("batch-rows", "keys per target lookup", cxxopts::value<std::size_t>()->default_value("2000"), "ROWS")
      ("verify", "also compare every unchanged row with the target and report drift as conflicts")
      ("against-base", "write nothing: check that the snapshot's rows are exactly the base state (verify a restore)");
  cli::add_max_record_bytes(o);
  cli::add_common(o);
  auto res = cli::parse(o, argc, argv);
  done = cli::handled_info(o, res);
  Options opt;
  if (done) return opt;
  opt.dsn = cli::dsn(res);
  opt.state_dir = cli::state_dir(res);
  opt.no_cache = cli::no_cache(res);
  opt.max_record = cli::max_record_bytes(res);
  opt.diff.batch_rows = res["batch-rows"].as<std::size_t>();
  opt.diff.verify = res.count("verify") > 0;
  opt.against_base = res.count("against-base") > 0;
  if (opt.diff.batch_rows == 0) throw UsageError("--batch-rows must be at least 1");
  return opt;
}

// The base state at PostgreSQL's generation: the local cache if it is
// exactly that generation, else read from row_state (and cached).
BaseState base_state(Target& target, const ndjson::Header& h, std::int64_t generation, const Options& opt,
                     bool& hit) {
  std::string path = cache_path(opt.state_dir, h.client);
  if (!opt.no_cache) {
    auto cached = BaseState::load(path);
    if (cached && cached->client == h.client && cached->generation == generation) {
      hit = true;
      return std::move(*cached);
    }
    log::debug("cache {}: {}", path, cached ? fmt::format("generation {}, PostgreSQL has {}", cached->generation,
                                                          generation) : std::string("missing or unusable"));
  }
  hit = false;
  BaseState st = target.read_base();
  st.client = h.client;
  st.generation = generation;
  if (!opt.no_cache) {
    try {
      st.save(path);
    } catch (const Error& e) {
      log::warn("cannot write the base-state cache (continuing without it): {}", e.what());
    }
  }
  return st;
}

// After a stale --skip-unchanged hint: the base diff used is PostgreSQL's
// current one, so the next snapshot's hint is right.
void save_refreshed(const BaseState& base, const ndjson::Header& h, const Options& opt) {
  if (opt.no_cache) return;
  try {
    base.save(cache_path(opt.state_dir, h.client));
  } catch (const Error& e) {
    log::warn("cannot write the base-state cache: {}", e.what());
  }
}

void report(const ndjson::Header& h, const BaseState& base, bool hit, const DiffStats& s) {
  auto n = [&](Verdict v) { return s.by_verdict[static_cast<int>(v)]; };
  std::uint64_t conflicts = n(Verdict::InsertInsert) + n(Verdict::UpdateUpdate) + n(Verdict::UpdateDelete) +
                            n(Verdict::DeleteUpdate);
  log::info("{}: {} rows, {} unchanged; {} inserts, {} updates, {} deletes, {} recorded, {} conflicts{}; "
            "{} target lookups; base generation {} ({})",
            h.client, s.rows, s.unchanged, n(Verdict::Insert), n(Verdict::Update), n(Verdict::Delete),
            n(Verdict::Record), conflicts, s.drift ? fmt::format(" ({} drift)", s.drift) : std::string(),
            s.lookups, base.generation, hit ? "cache hit" : "cache refreshed");
}

int run(int argc, char** argv) {
  bool done = false;
  Options opt = parse_options(argc, argv, done);
  if (done) return exit_code::kOk;

  ndjson::Reader in(0, "stdin", opt.max_record);
  ndjson::RecordWriter out;
  auto head = ndjson::read_head(in, opt.against_base ? nullptr : &out);
  const auto& h = head.header;
  auto conn = pg::Connection::open(opt.dsn, "sync-diff");
  Target target(conn, h);
  auto reg = cli::check_registration(conn, h);
  if (opt.against_base) {
    check_against_base(in, target, h);
    return exit_code::kOk;
  }
  target.read_types();
  if (h.skip_unchanged && opt.diff.verify)
    throw UsageError(ndjson::every_row_refusal("sync-diff --verify"));
  bool hit = false;
  BaseState base = base_state(target, h, reg.generation, opt, hit);

  ndjson::JsonBuf rec;
  ndjson::write_base(rec, {h.client, hit ? "hit" : "refreshed", reg.generation});
  out.record(rec);
  opt.diff.skip_unchanged = h.skip_unchanged;
  Evolver evolver(opt.dsn, h);
  Differ differ(target, evolver, base, out, h.client, h.schema, opt.diff);
  try {
    differ.run(in);
  } catch (const StaleHintError& e) {  // no trailer: nothing of this stream can be loaded
    if (opt.no_cache)
      throw StaleHintError(fmt::format("{}; --no-cache leaves that cache as it is: run sync-snapshot with --no-cache "
                                       "(or --all-rows)", e.what()));
    save_refreshed(base, h, opt);
    throw StaleHintError(fmt::format("{}; the cache is refreshed now: run the pipeline again", e.what()));
  }
  out.finish();
  report(h, base, hit, differ.stats());
  // The other tables were written and will load; the run still fails, loudly.
  if (!differ.stopped().empty()) {
    std::string all;
    for (const auto& s : differ.stopped()) all += (all.empty() ? "" : "; ") + s;
    throw RuntimeError(fmt::format("tenant {}: {}", h.client, all));
  }
  return exit_code::kOk;
}

}  // namespace

}  // namespace syncpipe::diff

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-diff", argc, argv, syncpipe::diff::run); }
