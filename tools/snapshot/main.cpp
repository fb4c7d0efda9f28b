// sync-snapshot: one consistent read of a tenant's SQLite file as a record
// stream (sync-snapshot(1), sync-protocol(7)).
#include <unistd.h>

#include <chrono>
#include <random>

#include "cli/host.hpp"
#include "cli/options.hpp"
#include "cli/run_tool.hpp"
#include "core/base_state.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "emit.hpp"
#include "from_postgres.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/lease_in.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"
#include "sqlite/database.hpp"
#include "sqlite/fingerprint.hpp"
#include "sqlite/schema.hpp"
#include "skip.hpp"
#include "source.hpp"
#include "table_plan.hpp"

namespace syncpipe::snapshot {

namespace {

struct Options {
  std::string client, schema, host, state_dir, dsn;
  bool no_lease = false, skip_unchanged = true, from_postgres = false;
  SourceOptions source;
  std::size_t max_record = ndjson::kDefaultMaxRecord;
  std::vector<std::string> exclude;
};

std::string random_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> d;
  return fmt::format("{:016x}{:016x}", d(rd), d(rd));
}

std::string utc_now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

constexpr const char* kLeaseHint = "expected a lease record on stdin (from sync-lease gate); use --no-lease "
                                  "for an ad-hoc run";

void parse_source(const cxxopts::ParseResult& res, SourceOptions& s) {
  s.file = res["file"].as<std::string>();
  s.busy_timeout_ms = res["busy-timeout"].as<int>();
  s.copy = parse_copy_mode(res["copy"].as<std::string>());
  if (res.count("copy-dir")) {
    s.copy_dir = res["copy-dir"].as<std::string>();
    if (s.copy_dir.empty()) throw UsageError("--copy-dir must not be empty");
  }
  s.step_pages = res["copy-step-pages"].as<int>();
  if (s.step_pages < 1) throw UsageError("--copy-step-pages must be at least 1");
}

// Whether rows the cache has are skipped: the default when reading a file;
// --all-rows or --no-cache write every row. --from-postgres never skips (a
// restore carries every row), so it refuses only the contradiction.
bool skip_unchanged(const cxxopts::ParseResult& res, bool from_postgres) {
  const bool every_row = res.count("all-rows") > 0 || cli::no_cache(res);
  if (res.count("skip-unchanged") && every_row)
    throw UsageError("--skip-unchanged contradicts --all-rows and --no-cache (which write every row)");
  return !from_postgres && !every_row;
}

Options parse_options(int argc, char** argv, bool& done) {
  cxxopts::Options o("sync-snapshot", "Read one consistent snapshot of a tenant's SQLite file as records.");
  o.add_options()
      ("client", "tenant id (required)", cxxopts::value<std::string>(), "TENANT")
      ("schema", "PostgreSQL schema of the tenant (default: the tenant id)", cxxopts::value<std::string>(), "SCHEMA")
      ("host", "host id the tenant belongs to (default: the lease cluster, $SYNCPIPE_HOST, or hostname)",
       cxxopts::value<std::string>(), "HOST")
      ("no-lease", "ad-hoc run: do not read a lease record from stdin")
      ("from-postgres", "read the tenant back out of PostgreSQL instead of a file (restore; as sync_service)")
      ("exclude-table", "skip this table (repeatable)", cxxopts::value<std::vector<std::string>>(), "TABLE")
      ("skip-unchanged", "the default: do not write rows the local base-state cache says are unchanged "
                         "(sync-diff verifies)")
      ("all-rows", "write every row; the local cache is not read (what verifying a restore, an audit, "
                   "provisioning or a copy to a new file needs)")
      ("busy-timeout", "milliseconds to wait for a writer's lock", cxxopts::value<int>()->default_value("10000"), "MS")
      ("copy", "read a page copy of the file, not the file: auto (unless WAL), always, never",
       cxxopts::value<std::string>()->default_value("auto"), "MODE")
      ("copy-dir", "directory of the scratch copy (default: /dev/shm when it fits, else $TMPDIR, else /var/tmp)", cxxopts::value<std::string>(),
       "DIR")
      ("copy-step-pages", "pages copied per step under the file's lock",
       cxxopts::value<int>()->default_value("1024"), "N")
      ("file", "the SQLite file", cxxopts::value<std::string>(), "FILE");
  cli::add_state_dir(o);
  cli::add_no_cache(o, "do not read the local base-state cache: every row is written (as --all-rows)");
  cli::add_max_record_bytes(o);
  cli::add_common(o);
  o.parse_positional({"file"});
  o.positional_help("FILE");
  auto res = cli::parse(o, argc, argv);
  done = cli::handled_info(o, res);
  Options opt;
  if (done) return opt;
  if (!res.count("client")) throw UsageError("--client is required");
  opt.from_postgres = res.count("from-postgres") > 0;
  opt.dsn = cli::dsn(res);
  if (opt.from_postgres) {
    if (res.count("file")) throw UsageError("--from-postgres reads no FILE");
    if (res.count("skip-unchanged") || res.count("exclude-table") || res.count("schema"))
      throw UsageError("--from-postgres takes none of --skip-unchanged, --exclude-table, --schema");
  } else if (!res.count("file")) {
    throw UsageError("the SQLite FILE is required");
  } else {
    parse_source(res, opt.source);
  }
  opt.client = res["client"].as<std::string>();
  opt.schema = res.count("schema") ? res["schema"].as<std::string>() : opt.client;
  opt.host = res.count("host") ? res["host"].as<std::string>() : "";
  opt.no_lease = res.count("no-lease") > 0;
  opt.max_record = cli::max_record_bytes(res);
  opt.skip_unchanged = skip_unchanged(res, opt.from_postgres);
  opt.state_dir = cli::state_dir(res);
  if (res.count("exclude-table")) opt.exclude = res["exclude-table"].as<std::vector<std::string>>();
  return opt;
}

bool excluded(const Options& opt, const std::string& table) {
  return std::find(opt.exclude.begin(), opt.exclude.end(), table) != opt.exclude.end();
}

// The hint of the cache (unless --all-rows or --no-cache), or nullopt (every row is written).
std::optional<SkipHint> load_hint(const Options& opt) {
  if (!opt.skip_unchanged) return std::nullopt;
  auto path = cache_path(opt.state_dir, opt.client);
  auto hint = SkipHint::load(path, opt.client);
  // No cache yet (a first run) is normal; one that cannot be used is news.
  if (!hint && ::access(path.c_str(), F_OK) != 0)
    log::debug("{}: no base-state cache {} yet: writing every row", opt.client, path);
  else if (!hint)
    log::info("{}: no usable base-state cache {}: writing every row", opt.client, path);
  return hint;
}

int run(int argc, char** argv) {
  bool done = false;
  Options opt = parse_options(argc, argv, done);
  if (done) return exit_code::kOk;
  if (opt.from_postgres)
    return run_from_postgres({opt.dsn, opt.client, opt.host.empty() ? cli::default_host() : opt.host, random_id(),
                              utc_now(), opt.max_record});

  ndjson::Header header;
  std::optional<ndjson::Lease> lease;
  std::string lease_line;
  if (!opt.no_lease) {
    auto in = ndjson::read_lease_stream(0, opt.max_record, kLeaseHint);
    lease = std::move(in.lease);
    lease_line = std::move(in.line);
  }
  if (lease && !opt.host.empty() && opt.host != lease->cluster)
    throw UsageError(fmt::format("--host {} differs from the lease cluster {}", opt.host, lease->cluster));
  header.client = opt.client;
  header.schema = opt.schema;
  header.host = lease ? lease->cluster : (opt.host.empty() ? cli::default_host() : opt.host);
  header.source = opt.source.file;
  header.stream_id = random_id();
  header.created_at = utc_now();
  header.adhoc = !lease;

  // Before the read transaction: a write after this instant changes the
  // fingerprint, so a stored one never claims more than the snapshot holds.
  if (auto fp = sqlite::take_fingerprint(opt.source.file); fp.settled) header.fingerprint = std::move(fp.text);
  Source source(opt.source);
  auto& db = source.db();
  // One read transaction for all tables: the first SELECT pins the snapshot.
  db.exec("BEGIN DEFERRED");
  auto tables = sqlite::list_tables(db);
  // An empty file opens as an empty database; syncing it would look like
  // every table was dropped.
  if (tables.empty()) throw InputError(opt.source.file + ": the database has no tables");

  auto hint = load_hint(opt);
  header.skip_unchanged = hint.has_value();
  ndjson::RecordWriter out;
  ndjson::JsonBuf rec;
  if (lease) out.line(lease_line);
  ndjson::write_header(rec, header);
  out.record(rec);
  emit_sqlite_schema(db, out);
  // Sent at once, and after each table: the later stages do their setup
  // (connections, the base state) while the tables are read. A skipping
  // run writes a few KB in all, which would otherwise wait for the end.
  out.flush();
  EmitStats stats;
  for (const auto& t : tables) {
    if (excluded(opt, t)) continue;
    emit_table(db, plan_table(db, t), out, stats, opt.max_record, hint ? &*hint : nullptr);
    out.flush();
  }
  db.exec("COMMIT");
  out.finish();
  if (hint)
    log::info("{}: {} tables, {} rows written, {} unchanged by the cache of generation {}, {} cached keys absent",
              opt.client, stats.tables, stats.rows, hint->skipped(), hint->generation(), hint->absent());
  else
    log::info("{}: {} tables, {} rows", opt.client, stats.tables, stats.rows);
  return exit_code::kOk;
}

}  // namespace

}  // namespace syncpipe::snapshot

int main(int argc, char** argv) { return syncpipe::cli::run_tool("sync-snapshot", argc, argv, syncpipe::snapshot::run); }
