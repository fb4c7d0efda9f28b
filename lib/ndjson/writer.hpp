// Writes record lines to a file descriptor (stdout by default), counting them
// and checksumming their bytes so finish() can append the trailer record
// (sync-protocol(7), "trailer"). Output is buffered; a closed pipe downstream
// raises PipeClosed, which run_tool() turns into a quiet exit.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace syncpipe::ndjson {

class JsonBuf;

struct PipeClosed : Error {
  PipeClosed() : Error(exit_code::kError, "output pipe closed") {}
};

class RecordWriter {
 public:
  explicit RecordWriter(int fd = 1);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // REQUIRES: line holds one JSON object and no line feed.
  void line(std::string_view line);
  // One record from several pieces, e.g. a head, a value forwarded as read
  // and the closing brace; a large piece is written from where it lies.
  // REQUIRES: the pieces together hold one JSON object and no line feed.
  void line(std::initializer_list<std::string_view> pieces);
  void record(const JsonBuf& json);
  // Writes the trailer and flushes. No line may follow.
  void finish();
  void flush();
  std::uint64_t records() const { return records_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  void write_all(std::string_view data);

  int fd_;
  std::string buf_;
  StreamChecksum sum_;
  std::uint64_t records_ = 0;
  std::uint64_t bytes_ = 0;
  bool finished_ = false;
};

}  // namespace syncpipe::ndjson
