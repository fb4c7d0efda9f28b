#include "read_ahead.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "core/error.hpp"

namespace syncpipe::load {

ReadAhead::ReadAhead(int source_fd, std::size_t capacity)
    : source_(source_fd), cap_(std::clamp(capacity, kMinBytes, kMaxBytes)), ring_(new char[cap_]) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw RuntimeError(fmt::format("pipe: {}", std::strerror(errno)));
  stop_r_ = fds[0];
  stop_w_ = fds[1];
  // Non-blocking, so the thread never sleeps in read() where the stop pipe cannot wake it.
  source_flags_ = ::fcntl(source_, F_GETFL);
  if (source_flags_ < 0 || ::fcntl(source_, F_SETFL, source_flags_ | O_NONBLOCK) < 0)
    throw RuntimeError(fmt::format("stdin: fcntl: {}", std::strerror(errno)));
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
  char b = 0;
  if (::write(stop_w_, &b, 1) < 0) {}  // the thread may have ended already
  thread_.join();
  ::fcntl(source_, F_SETFL, source_flags_);  // stdin may be a terminal shared with the shell
  ::close(stop_r_);
  ::close(stop_w_);
}

void ReadAhead::wait_buffered(std::size_t n) {
  n = std::min(n, cap_ / 2);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return size_ >= n || eof_ || !error_.empty(); });
}

std::size_t ReadAhead::read(char* dst, std::size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return size_ > 0 || eof_ || !error_.empty(); });
  if (size_ == 0) {
    if (!error_.empty()) throw RuntimeError("stdin: " + error_);
    return 0;
  }
  n = std::min({n, size_, cap_ - head_});  // the contiguous part
  std::memcpy(dst, ring_.get() + head_, n);
  head_ = (head_ + n) % cap_;
  size_ -= n;
  lock.unlock();
  cv_.notify_all();
  return n;
}

bool ReadAhead::wait_for_room() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return size_ < cap_ || stopped_; });
  return !stopped_;
}

bool ReadAhead::wait_readable() {
  for (;;) {
    pollfd p[2] = {{source_, POLLIN, 0}, {stop_r_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError(fmt::format("poll: {}", std::strerror(errno)));
    }
    if (p[1].revents) return false;
    if (p[0].revents) return true;
  }
}

void ReadAhead::produced(std::size_t n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_ += n;
  }
  cv_.notify_all();
}

// The only writer of the free part of the ring: it reads into it without
// the lock (the reader only touches the filled part), then publishes.
void ReadAhead::run() noexcept {
  std::string error;
  bool eof = false;
  try {
    while (!eof && wait_for_room()) {
      if (!wait_readable()) break;
      std::size_t tail, room;
      {
        std::lock_guard<std::mutex> lock(mu_);
        tail = (head_ + size_) % cap_;
        room = tail >= head_ ? cap_ - tail : head_ - tail;  // contiguous free bytes
      }
      ssize_t got = ::read(source_, ring_.get() + tail, room);
      if (got > 0) produced(static_cast<std::size_t>(got));
      else if (got == 0) eof = true;
      else if (errno != EAGAIN && errno != EINTR) throw RuntimeError(std::strerror(errno));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
    error_ = error;
  }
  cv_.notify_all();
}

}  // namespace syncpipe::load
