// The one place per executable where exceptions become exit codes:
//   int main(int argc, char** argv) { return run_tool("sync-load", argc, argv, run); }
// prints "sync-load: error: <what>" on stderr and returns the code carried by
// the exception (lib/core/exit_codes.hpp). A closed output pipe exits quietly.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <cxxopts.hpp>

namespace syncpipe::cli {

int run_tool(std::string_view program, int argc, char** argv, const std::function<int(int, char**)>& body);

// Options every tool has: --dsn, --help, --version, --quiet, --verbose.
void add_common(cxxopts::Options& opts, bool with_dsn = true);
// Parses argv; throws UsageError on bad options. Applies --quiet/--verbose.
cxxopts::ParseResult parse(cxxopts::Options& opts, int argc, char** argv);
// Handles --help and --version; returns true when the tool should exit 0.
bool handled_info(const cxxopts::Options& opts, const cxxopts::ParseResult& res);
// The --dsn value ("" = libpq defaults: PG* variables, PGSERVICE, passfile).
// Refuses one that holds a password (UsageError, exit 64).
std::string dsn(const cxxopts::ParseResult& res);

}  // namespace syncpipe::cli
