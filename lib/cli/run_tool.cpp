#include "cli/run_tool.hpp"

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "ndjson/writer.hpp"
#include "pg/connection.hpp"

#ifndef SYNCPIPE_VERSION
#define SYNCPIPE_VERSION "unknown"
#endif

namespace syncpipe::cli {

int run_tool(std::string_view program, int argc, char** argv, const std::function<int(int, char**)>& body) {
  log::set_program(program);
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes EPIPE -> PipeClosed
  // Buffers of 1 MiB and more (a large record, its values, a COPY chunk) are
  // mapped on their own and returned to the system when freed. glibc would
  // otherwise raise this threshold after the first such free and keep later
  // large buffers in the heap, so peak RSS would add up across stages of work.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  try {
    return body(argc, argv);
  } catch (const ndjson::PipeClosed&) {
    return exit_code::kError;
  } catch (const Error& e) {
    log::error(e.what());
    return e.code();
  } catch (const cxxopts::exceptions::exception& e) {
    log::error(fmt::format("{} (see --help)", e.what()));
    return exit_code::kUsage;
  } catch (const std::bad_alloc&) {
    log::error("out of memory");
    return exit_code::kError;
  } catch (const std::exception& e) {
    log::error(fmt::format("internal error: {}", e.what()));
    return exit_code::kError;
  }
}

void add_common(cxxopts::Options& opts, bool with_dsn) {
  opts.add_options("Common")
      ("h,help", "show this help and exit")
      ("version", "show the version and exit")
      ("q,quiet", "log errors only")
      ("v,verbose", "log more detail");
  if (with_dsn)
    opts.add_options("Common")("dsn", "libpq connection string or URI (no password: use a passfile)",
                               cxxopts::value<std::string>()->default_value(""), "CONNINFO");
}

cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv) {
  try {
    auto res = opts.parse(argc, argv);
    if (!res.unmatched().empty()) throw UsageError(fmt::format("unexpected argument '{}'", res.unmatched()[0]));
    if (res.count("quiet")) log::set_level(log::Level::Quiet);
    if (res.count("verbose")) log::set_level(log::Level::Debug);
    return res;
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(fmt::format("{} (see --help)", e.what()));
  }
}

bool handled_info(const cxxopts::Options& opts, const cxxopts::ParseResult& res) {
  if (res.count("help")) {
    std::fputs(opts.help().c_str(), stdout);
    return true;
  }
  if (res.count("version")) {
    std::printf("%s %s\n", log::program().c_str(), SYNCPIPE_VERSION);
    return true;
  }
  return false;
}

std::string dsn(const cxxopts::ParseResult& res) {
  auto d = res["dsn"].as<std::string>();
  // A password in argv is visible to every user of the machine (ps, /proc).
  if (pg::dsn_has_password(d))
    throw UsageError("--dsn must not hold a password (any user can read a command line): put it in a passfile "
                     "(~/.pgpass or PGPASSFILE, under systemd LoadCredential=) or a service file");
  return d;
}

}  // namespace syncpipe::cli
