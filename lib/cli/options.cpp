#include "cli/options.hpp"

#include <fmt/format.h>

#include "core/base_state.hpp"  // default_state_dir
#include "core/error.hpp"
#include "ndjson/reader.hpp"

namespace syncpipe::cli {

void add_state_dir(cxxopts::Options& o, std::string_view help) {
  o.add_options()("state-dir",
                  fmt::format("{} (default: $STATE_DIRECTORY, else $XDG_STATE_HOME/syncpipe, else "
                              "~/.local/state/syncpipe; made when missing)",
                              help),
                  cxxopts::value<std::string>(), "DIR");
}

std::string state_dir(const cxxopts::ParseResult& res) {
  if (!res.count("state-dir")) return default_state_dir();
  auto dir = res["state-dir"].as<std::string>();
  if (dir.empty()) throw UsageError("--state-dir must not be empty");
  return dir;
}

void add_no_cache(cxxopts::Options& o, std::string_view help) { o.add_options()("no-cache", std::string(help)); }

bool no_cache(const cxxopts::ParseResult& res) { return res.count("no-cache") > 0; }

void add_max_record_bytes(cxxopts::Options& o, std::string_view help) {
  o.add_options()("max-record-bytes", std::string(help),
                  cxxopts::value<std::size_t>()->default_value(std::to_string(ndjson::kDefaultMaxRecord)), "BYTES");
}

std::size_t max_record_bytes(const cxxopts::ParseResult& res) {
  auto n = res["max-record-bytes"].as<std::size_t>();
  if (n < kMinRecordLimit || n > kMaxRecordLimit)
    throw UsageError(fmt::format("--max-record-bytes must be between {} and {}", kMinRecordLimit, kMaxRecordLimit));
  return n;
}

}  // namespace syncpipe::cli
