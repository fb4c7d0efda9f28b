#include "cli/host.hpp"

#include <unistd.h>

#include <cstdlib>

#include "core/text_check.hpp"

namespace syncpipe::cli {

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  std::string name(buf);
  return valid_utf8(name) ? name : std::string();
}

std::string default_host() {
  if (const char* h = std::getenv("SYNCPIPE_HOST"); h && *h) return h;
  return local_hostname();
}

}  // namespace syncpipe::cli
