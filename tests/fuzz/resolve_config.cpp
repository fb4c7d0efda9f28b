// libFuzzer target: sync-resolve's conflict-config parser
// (tools/resolve/config.cpp). A config either parses or is refused with
// syncpipe::Error; a parsed one answers rule_for() for any table.
#include <cstdint>
#include <string>
#include <vector>

#include "../../tools/resolve/config.hpp"
#include "core/error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace syncpipe;
  std::vector<std::string> warnings;
  try {
    const resolve::Config c = resolve::parse_config(fuzz::as_text(data, size), "fuzz", warnings);
    c.rule_for("chat");
    c.rule_for("");
  } catch (const Error&) {
  }
  return 0;
}
