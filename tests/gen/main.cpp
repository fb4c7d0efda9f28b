// syncpipe-gen: builds and mutates Open WebUI tenant databases for tests and
// benchmarks. Usage: syncpipe-gen <create|traps|mutate|writer|big> [options];
// `syncpipe-gen <command> --help` lists each command's options.
#include <cstdio>
#include <cstring>
#include <cxxopts.hpp>
#include <exception>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"

using namespace syncpipe;
using namespace syncpipe::gen;

namespace {

constexpr const char* kUsage =
    "usage: syncpipe-gen create|traps|mutate|writer|big [options]  (--help per command)\n";

cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv) {
  opts.add_options()("h,help", "show this help");
  auto r = opts.parse(argc, argv);
  if (r.count("help") != 0U) {
    std::fputs(opts.help().c_str(), stdout);
    std::exit(0);
  }
  return r;
}

int create(int argc, char** argv) {
  cxxopts::Options opts("syncpipe-gen create", "Create a tenant database from a schema SQL file.");
  opts.add_options()("schema-sql", "schema SQL file", cxxopts::value<std::string>())(
      "out", "database file to (re)create", cxxopts::value<std::string>())(
      "users", "users", cxxopts::value<std::int64_t>()->default_value("3"))(
      "chats-per-user", "chats per user", cxxopts::value<std::int64_t>()->default_value("5"))(
      "messages-per-chat", "messages per chat", cxxopts::value<std::int64_t>()->default_value("4"))(
      "channel-messages", "channel message rows (default 5 per user)",
      cxxopts::value<std::int64_t>()->default_value("-1"))(
      "seed", "random seed", cxxopts::value<std::uint64_t>()->default_value("1"))(
      "journal", "wal or delete", cxxopts::value<std::string>()->default_value("delete"))(
      "chat-bytes", "size of each chat JSON",
      cxxopts::value<std::int64_t>()->default_value("4600"));
  auto r = parse(opts, argc, argv);
  if (r.count("schema-sql") == 0U || r.count("out") == 0U)
    throw UsageError("create needs --schema-sql and --out");
  CreateOptions o;
  o.schema_sql = r["schema-sql"].as<std::string>();
  o.out = r["out"].as<std::string>();
  o.journal = r["journal"].as<std::string>();
  o.shape = Shape{r["seed"].as<std::uint64_t>(),
                  r["users"].as<std::int64_t>(),
                  r["chats-per-user"].as<std::int64_t>(),
                  r["messages-per-chat"].as<std::int64_t>(),
                  r["channel-messages"].as<std::int64_t>(),
                  r["chat-bytes"].as<std::int64_t>()};
  if (o.shape.users < 0 || o.shape.chats_per_user < 1 || o.shape.messages_per_chat < 0) {
    throw UsageError("--users must be >= 0, --chats-per-user >= 1, --messages-per-chat >= 0");
  }
  return run_create(o);
}

std::string need_db(cxxopts::Options& opts, int argc, char** argv, cxxopts::ParseResult& r) {
  r = parse(opts, argc, argv);
  if (r.count("db") == 0U) throw UsageError("--db is required");
  return r["db"].as<std::string>();
}

int mutate(int argc, char** argv) {
  cxxopts::Options opts("syncpipe-gen mutate",
                        "Random inserts, updates and deletes in one transaction.");
  opts.add_options()("db", "database file", cxxopts::value<std::string>())(
      "seed", "random seed", cxxopts::value<std::uint64_t>()->default_value("1"))(
      "insert", "rows to insert", cxxopts::value<std::int64_t>()->default_value("0"))(
      "update", "rows to update", cxxopts::value<std::int64_t>()->default_value("0"))(
      "delete", "rows to delete", cxxopts::value<std::int64_t>()->default_value("0"))(
      "tables", "comma-separated tables (default: all)",
      cxxopts::value<std::vector<std::string>>())(
      "now", "epoch seconds written to updated_at (default: clock)",
      cxxopts::value<std::int64_t>()->default_value("0"));
  cxxopts::ParseResult r;
  MutateOptions o;
  o.db = need_db(opts, argc, argv, r);
  o.seed = r["seed"].as<std::uint64_t>();
  o.inserts = r["insert"].as<std::int64_t>();
  o.updates = r["update"].as<std::int64_t>();
  o.deletes = r["delete"].as<std::int64_t>();
  o.now = r["now"].as<std::int64_t>();
  if (r.count("tables") != 0U) o.tables = r["tables"].as<std::vector<std::string>>();
  return run_mutate(o);
}

int simple(const std::string& cmd, int argc, char** argv) {
  cxxopts::Options opts("syncpipe-gen " + cmd,
                        cmd == "traps"    ? "Add one row per value trap; prints TSV."
                        : cmd == "writer" ? "Concurrent writer for consistency tests."
                                          : "Add one chat whose chat JSON is --bytes long.");
  opts.add_options()("db", "database file", cxxopts::value<std::string>());
  if (cmd == "writer")
    opts.add_options()("seconds", "how long to write",
                       cxxopts::value<double>()->default_value("5"));
  if (cmd == "big")
    opts.add_options()("bytes", "size of the chat JSON",
                       cxxopts::value<std::int64_t>()->default_value("31457280"));
  cxxopts::ParseResult r;
  std::string db = need_db(opts, argc, argv, r);
  if (cmd == "traps") return run_traps(db);
  if (cmd == "writer") return run_writer(db, r["seconds"].as<double>());
  return run_big(db, r["bytes"].as<std::int64_t>());
}

int dispatch(int argc, char** argv) {
  if (argc < 2) throw UsageError("missing command");
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") return std::fputs(kUsage, stdout), 0;
  if (cmd == "create") return create(argc - 1, argv + 1);
  if (cmd == "mutate") return mutate(argc - 1, argv + 1);
  if (cmd == "traps" || cmd == "writer" || cmd == "big") return simple(cmd, argc - 1, argv + 1);
  throw UsageError("unknown command: " + cmd);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "syncpipe-gen: error: %s\n", e.what());
    if (e.code() == exit_code::kUsage) std::fputs(kUsage, stderr);
    return e.code();
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "syncpipe-gen: error: %s\n%s", e.what(), kUsage);
    return exit_code::kUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "syncpipe-gen: error: %s\n", e.what());
    return exit_code::kError;
  }
}
