// Options several tools share, declared and checked here once so their
// meaning, placeholder and limits cannot drift apart:
//   cli::add_state_dir(o); cli::add_max_record_bytes(o, "largest record accepted");
//   auto res = cli::parse(o, argc, argv);
//   opt.state_dir = cli::state_dir(res);   // throws UsageError (exit 64)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <cxxopts.hpp>

namespace syncpipe::cli {

// --state-dir DIR: the local base-state cache (core/base_state.hpp).
void add_state_dir(cxxopts::Options& o, std::string_view help = "directory of the local base-state cache");
// The given directory, else default_state_dir(). Refuses an empty one.
std::string state_dir(const cxxopts::ParseResult& res);

// --no-cache; what it leaves out differs per tool, so each says it.
void add_no_cache(cxxopts::Options& o, std::string_view help);
bool no_cache(const cxxopts::ParseResult& res);

// --max-record-bytes BYTES (default ndjson::kDefaultMaxRecord).
inline constexpr std::size_t kMinRecordLimit = 1024, kMaxRecordLimit = std::size_t{1} << 34;
void add_max_record_bytes(cxxopts::Options& o, std::string_view help = "largest record accepted or written");
// Refuses a value outside [kMinRecordLimit, kMaxRecordLimit].
std::size_t max_record_bytes(const cxxopts::ParseResult& res);

}  // namespace syncpipe::cli
