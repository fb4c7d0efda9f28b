// Where the tools get the names of this machine and of the host it serves.
#pragma once

#include <string>

namespace syncpipe::cli {

// This machine's name (gethostname); "" if it cannot be read or is not UTF-8.
std::string local_hostname();
// The host id (= lease cluster) when no option names it: $SYNCPIPE_HOST, else local_hostname().
std::string default_host();

}  // namespace syncpipe::cli
