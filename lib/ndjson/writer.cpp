#include "ndjson/writer.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <unistd.h>

#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"

namespace syncpipe::ndjson {

namespace {
constexpr std::size_t kFlushAt = 4 << 20;
}

RecordWriter::RecordWriter(int fd) : fd_(fd) { buf_.reserve(kFlushAt + 4096); }

RecordWriter::~RecordWriter() {
  // Records written without finish() are flushed so a reader can name the
  // truncation point; the missing trailer marks the stream as incomplete.
  try {
    flush();
  } catch (...) {
  }
}

void RecordWriter::line(std::string_view l) { line({l}); }

void RecordWriter::line(std::initializer_list<std::string_view> pieces) {
  std::size_t size = 0;
  for (auto p : pieces) {
    size += p.size();
    sum_.update(p);
  }
  sum_.update("\n");
  ++records_;
  bytes_ += size + 1;
  if (size >= kFlushAt) {  // a large record goes out as it is, not copied into the buffer
    flush();
    for (auto p : pieces) write_all(p);
    write_all("\n");
    return;
  }
  for (auto p : pieces) buf_.append(p);
  buf_.push_back('\n');
  if (buf_.size() >= kFlushAt) flush();
}

void RecordWriter::record(const JsonBuf& json) { line(json.str()); }

void RecordWriter::finish() {
  if (finished_) return;
  write_trailer(buf_, {records_, sum_.hex()});
  buf_.push_back('\n');
  finished_ = true;
  flush();
}

void RecordWriter::flush() {
  std::string_view pending(buf_);
  try {
    write_all(pending);
  } catch (...) {
    buf_.clear();
    throw;
  }
  buf_.clear();
}

void RecordWriter::write_all(std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw PipeClosed();
      throw RuntimeError(fmt::format("write to output: {}", std::strerror(errno)));
    }
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace syncpipe::ndjson
