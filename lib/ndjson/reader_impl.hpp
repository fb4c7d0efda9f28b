// Private to lib/ndjson: the simdjson state behind Reader.
#pragma once

#include <simdjson.h>

#include "ndjson/line_buffer.hpp"
#include "ndjson/reader.hpp"

namespace syncpipe::ndjson {

struct Reader::Impl {
  Impl(int fd, std::string name, std::size_t max_record) : lines(fd, std::move(name), max_record) {}
  Impl(ByteSource source, std::string name, std::size_t max_record)
      : lines(std::move(source), std::move(name), max_record) {}

  LineBuffer lines;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view current;  // the line being read
  std::string_view type;
  StreamChecksum sum;
  std::uint64_t count = 0;  // lines before the current one
  bool done = false;

  simdjson::ondemand::value field(std::string_view name, const Reader& r);
  bool present(std::string_view name, simdjson::ondemand::value& out, const Reader& r);
};

// The field `name` of a JSON object or document, in any order. Not simdjson's
// find_field_unordered alone: when the field is not ahead, it searches again
// from the object's first field assuming that part was validated, and on some
// malformed records it then fails an assertion (the tool aborts) instead of
// returning an error (found by the protocol fuzz target). A forward search
// leaves the object closed when it finds nothing; the unordered search then
// starts from the first field and checks every token.
template <typename Object>
simdjson::simdjson_result<simdjson::ondemand::value> find_any_order(Object& obj, std::string_view name) {
  auto res = obj.find_field(name);
  if (res.error() != simdjson::NO_SUCH_FIELD) return res;
  return obj.find_field_unordered(name);
}

// Decodes one protocol value (sync-protocol(7), VALUES).
Value decode_value(simdjson::ondemand::value v, const Reader& r);

}  // namespace syncpipe::ndjson
