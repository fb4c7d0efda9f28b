#include "ndjson/lease_in.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "ndjson/reader.hpp"

namespace syncpipe::ndjson {

LeaseIn read_lease_stream(int fd, std::size_t max_record, const std::string& hint) {
  Reader in(fd, fd == 0 ? "stdin" : "lease", max_record);
  bool got = false;
  try {
    got = in.next();
  } catch (const InputError& e) {  // e.g. empty stdin: say what was expected
    throw InputError(fmt::format("{}; {}", e.what(), hint));
  }
  if (!got || record_type(in) != RecordType::Lease) in.fail(hint);
  LeaseIn l{parse_lease(in), std::string(in.line())};
  while (in.next()) {
  }
  return l;
}

}  // namespace syncpipe::ndjson
