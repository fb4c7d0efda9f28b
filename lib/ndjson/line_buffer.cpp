#include "ndjson/line_buffer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include "core/error.hpp"

namespace syncpipe::ndjson {

namespace {
constexpr std::size_t kInitial = 1 << 20;
constexpr std::size_t kReadChunk = 1 << 20;
}  // namespace

LineBuffer::LineBuffer(int fd, std::string name, std::size_t max_line)
    : fd_(fd), name_(std::move(name)), max_line_(max_line) {
  cap_ = std::min(kInitial, max_line_ + 2);
  buf_.reset(new char[cap_ + simdjson::SIMDJSON_PADDING]);
}

LineBuffer::LineBuffer(ByteSource source, std::string name, std::size_t max_line)
    : LineBuffer(-1, std::move(name), max_line) {
  source_ = std::move(source);
}

std::size_t LineBuffer::read_some(char* dst, std::size_t n) {
  if (source_) return source_(dst, n);
  for (;;) {
    ssize_t got = ::read(fd_, dst, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) throw RuntimeError(fmt::format("{}: read: {}", name_, std::strerror(errno)));
  }
}

std::size_t LineBuffer::capacity_after(const char* p) const {
  return static_cast<std::size_t>(buf_.get() + cap_ + simdjson::SIMDJSON_PADDING - p);
}

void LineBuffer::make_room() {
  if (begin_ > 0) {  // slide the partial line to the front
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
    if (end_ + kReadChunk / 4 <= cap_) return;
  }
  if (end_ > max_line_ + 1)
    throw InputError(fmt::format("{}:{}: record longer than the limit of {} bytes", name_,
                                 line_no_ + 1, max_line_));
  // Grow by half, not double: a 30 MB record should not leave a 64 MB buffer behind.
  std::size_t ncap = std::min(std::max(cap_ + cap_ / 2, end_ + kReadChunk), max_line_ + 2 + kReadChunk);
  std::unique_ptr<char[]> nbuf(new char[ncap + simdjson::SIMDJSON_PADDING]);
  std::memcpy(nbuf.get(), buf_.get(), end_);
  buf_ = std::move(nbuf);
  cap_ = ncap;
}

bool LineBuffer::fill() {
  if (eof_) return false;
  if (cap_ - end_ < kReadChunk / 4) make_room();
  const std::size_t n = read_some(buf_.get() + end_, cap_ - end_);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += n;
  bytes_read_ += n;
  return true;
}

void LineBuffer::shrink() {
  // After a large record has been consumed, give its memory back.
  std::size_t pending = end_ - begin_;
  if (cap_ <= 4 * kInitial || pending > kInitial / 2) return;
  std::unique_ptr<char[]> nbuf(new char[kInitial + simdjson::SIMDJSON_PADDING]);
  std::memcpy(nbuf.get(), buf_.get() + begin_, pending);
  buf_ = std::move(nbuf);
  cap_ = kInitial;
  end_ = pending;
  scan_ -= begin_;
  begin_ = 0;
}

bool LineBuffer::next(std::string_view& line) {
  shrink();
  for (;;) {
    const char* base = buf_.get();
    const void* nl = std::memchr(base + scan_, '\n', end_ - scan_);
    std::size_t stop;
    if (nl) {
      stop = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    } else {
      scan_ = end_;  // scanned up to here; fill() keeps scan_ in step when it slides
      if (fill()) continue;
      if (begin_ == end_) return false;
      stop = end_;  // last line without a final line feed
    }
    std::size_t len = stop - begin_;
    if (len > max_line_)
      throw InputError(fmt::format("{}:{}: record longer than the limit of {} bytes", name_,
                                   line_no_ + 1, max_line_));
    line = std::string_view(base + begin_, len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    begin_ = scan_ = std::min(stop + 1, end_);
    ++line_no_;
    return true;
  }
}

}  // namespace syncpipe::ndjson
