#include "core/log.hpp"

#include <cstdio>
#include <string>

namespace syncpipe::log {

namespace {
std::string g_program = "syncpipe";
Level g_level = Level::Info;
}  // namespace

void set_program(std::string_view name) { g_program = name; }
void set_level(Level l) { g_level = l; }
Level level() { return g_level; }
const std::string& program() { return g_program; }

void write(std::string_view prefix, std::string_view message) {
  // One fwrite per line so concurrent stages do not interleave inside a line.
  std::string line = g_program + ": " + std::string(prefix) + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void error(std::string_view message) { write("error: ", message); }

}  // namespace syncpipe::log
