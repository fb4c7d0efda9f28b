// sync-load reads its whole input before writing anything: the stream is
// copied to an unlinked temporary file while its trailer is verified, so a
// truncated or corrupt stream writes nothing (DESIGN.md: "nothing lost or
// half written"). Memory stays bounded; disk use is the size of the changes.
#pragma once

#include <cstdint>
#include <string>

#include "ndjson/protocol.hpp"

namespace syncpipe::load {

struct Spool {
  int fd = -1;  // positioned at 0, holding a complete stream with its trailer
  ndjson::StreamHead head;
  std::uint64_t records = 0, bytes = 0;
  ~Spool();
};

// REQUIRES: dir exists and is writable.
void spool_stdin(const std::string& dir, std::size_t max_record, Spool& out);

}  // namespace syncpipe::load
