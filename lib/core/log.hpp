// Logging to stderr with the tool's name as prefix ("sync-load: ..."), the
// ninja habit. stdout is reserved for records.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace syncpipe::log {

enum class Level { Quiet, Info, Debug };

void set_program(std::string_view name);  // e.g. "sync-load"
void set_level(Level level);
Level level();
const std::string& program();
void write(std::string_view prefix, std::string_view message);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Info) write("", fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Debug) write("debug: ", fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write("warning: ", fmt::format(f, std::forward<Args>(args)...));
}
void error(std::string_view message);

}  // namespace syncpipe::log
