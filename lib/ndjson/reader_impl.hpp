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

// Decodes one protocol value (sync-protocol(7), VALUES).
Value decode_value(simdjson::ondemand::value v, const Reader& r);

}  // namespace syncpipe::ndjson
