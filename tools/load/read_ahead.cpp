#include "read_ahead.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <memory>

#include "core/error.hpp"
#include "core/log.hpp"

namespace syncpipe::load {

namespace {

void make_pipe(int& r, int& w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw RuntimeError(fmt::format("pipe: {}", std::strerror(errno)));
  r = fds[0];
  w = fds[1];
}

// Returns the flags before.
int set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw RuntimeError(fmt::format("fcntl: {}", std::strerror(errno)));
  return flags;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A ring of bytes: [head, head + size) modulo its capacity.
class Ring {
 public:
  explicit Ring(std::size_t cap) : buf_(new char[cap]), cap_(cap) {}
  std::size_t size() const { return size_; }
  bool full() const { return size_ == cap_; }
  // The longest contiguous free / filled span.
  char* free_span(std::size_t& n) {
    const std::size_t tail = (head_ + size_) % cap_;
    n = size_ == cap_ ? 0 : tail >= head_ ? cap_ - tail : head_ - tail;
    return buf_.get() + tail;
  }
  const char* data_span(std::size_t& n) const {
    n = head_ + size_ <= cap_ ? size_ : cap_ - head_;
    return buf_.get() + head_;
  }
  void produced(std::size_t n) { size_ += n; }
  void consumed(std::size_t n) {
    head_ = (head_ + n) % cap_;
    size_ -= n;
  }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t cap_, head_ = 0, size_ = 0;
};

}  // namespace

ReadAhead::ReadAhead(int source_fd) : source_(source_fd) {
  make_pipe(out_r_, out_w_);
  make_pipe(stop_r_, stop_w_);
  set_nonblocking(out_w_);
  source_flags_ = set_nonblocking(source_);
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  char b = 0;
  if (::write(stop_w_, &b, 1) < 0) {}  // the thread may have ended already
  thread_.join();
  ::fcntl(source_, F_SETFL, source_flags_);  // stdin may be a terminal shared with the shell
  close_fd(out_r_);
  close_fd(stop_r_);
  close_fd(stop_w_);
}

// Reads the source while the ring has room and writes the pipe while the
// ring has data; ends at the source's end once everything was passed on.
void ReadAhead::run() noexcept {
  Ring ring(kBufferBytes);
  bool eof = false;
  while (!eof || ring.size() > 0) {
    pollfd p[3] = {{stop_r_, POLLIN, 0}, {out_w_, 0, 0}, {source_, 0, 0}};
    if (ring.size() > 0) p[1].events = POLLOUT;
    if (!eof && !ring.full()) p[2].events = POLLIN;
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      log::error(fmt::format("read-ahead: poll: {}", std::strerror(errno)));
      break;
    }
    if (p[0].revents) break;  // stopped
    if (p[2].revents) {
      std::size_t room = 0;
      char* at = ring.free_span(room);
      ssize_t n = ::read(source_, at, room);
      if (n > 0) ring.produced(static_cast<std::size_t>(n));
      else if (n == 0) eof = true;
      else if (errno != EAGAIN && errno != EINTR) {
        log::error(fmt::format("read-ahead: reading stdin: {}", std::strerror(errno)));
        break;
      }
    }
    if (p[1].revents & (POLLERR | POLLHUP)) break;  // the reader is gone
    if (p[1].revents & POLLOUT) {
      std::size_t avail = 0;
      const char* at = ring.data_span(avail);
      ssize_t n = ::write(out_w_, at, avail);
      if (n > 0) ring.consumed(static_cast<std::size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR) break;
    }
  }
  close_fd(out_w_);  // end of file for the reader
}

}  // namespace syncpipe::load
