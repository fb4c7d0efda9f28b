// sync-resolve's filter: forwards every record of the stream unchanged
// except conflict records, each of which becomes a decision record followed
// (unless unresolved) by the change record that applies it.
#pragma once

#include <cstdint>

#include "config.hpp"

namespace syncpipe::ndjson {
class Reader;
class RecordWriter;
}  // namespace syncpipe::ndjson

namespace syncpipe::resolve {

struct ResolveStats {
  std::uint64_t conflicts = 0, source = 0, target = 0, merge = 0, unresolved = 0;
};

// Reads the whole stream (lease, header, ..., trailer) from `in` and writes
// the resolved stream with its own trailer to `out`.
ResolveStats resolve_stream(ndjson::Reader& in, ndjson::RecordWriter& out, const Config& cfg);

}  // namespace syncpipe::resolve
