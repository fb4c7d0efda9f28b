// Splits a file descriptor into lines with bounded memory. The buffer always
// keeps simdjson's padding after the data, so a line can be parsed in place.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace syncpipe::ndjson {

// Reads up to n bytes into dst; returns 0 only at the end of the input.
// Throws on a read error.
using ByteSource = std::function<std::size_t(char* dst, std::size_t n)>;

class LineBuffer {
 public:
  LineBuffer(int fd, std::string name, std::size_t max_line);
  LineBuffer(ByteSource source, std::string name, std::size_t max_line);

  // The next line without its line feed (and without a CR before it), or
  // false at end of input. Valid until the next call.
  bool next(std::string_view& line);
  std::size_t line_no() const { return line_no_; }
  std::size_t capacity_after(const char* p) const;  // bytes usable from p, padding included
  const std::string& name() const { return name_; }
  std::uint64_t bytes_read() const { return bytes_read_; }

 private:
  bool fill();  // false at EOF
  void make_room();
  void shrink();

  std::size_t read_some(char* dst, std::size_t n);

  int fd_;
  ByteSource source_;  // when set, used instead of fd_
  std::string name_;
  std::size_t max_line_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;  // usable capacity, padding excluded
  std::size_t begin_ = 0, end_ = 0, scan_ = 0;
  std::size_t line_no_ = 0;
  std::uint64_t bytes_read_ = 0;
  bool eof_ = false;
};

}  // namespace syncpipe::ndjson
