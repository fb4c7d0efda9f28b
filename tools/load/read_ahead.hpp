// Keeps reading standard input while sync-load waits for PostgreSQL. A
// thread copies stdin into a bounded ring that the record reader drains
// (one memcpy per byte, no extra pipe). Without it the pipeline stalls
// whenever the server is busy (a batch's base state, its commit): the 64 KiB
// pipes upstream fill at once and sync-snapshot, sync-diff and sync-resolve
// stop, leaving a CPU idle. With it they run a ring's worth ahead, and a
// batch can wait for its input before its transaction begins.
//
//   ReadAhead ahead(0, 2 * batch_bytes);
//   ndjson::Reader in([&](char* d, std::size_t n) { return ahead.read(d, n); }, "stdin");
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace syncpipe::load {

class ReadAhead {
 public:
  static constexpr std::size_t kMinBytes = std::size_t{8} << 20, kMaxBytes = std::size_t{32} << 20;

  // capacity: the ring's size, clamped to [kMinBytes, kMaxBytes].
  ReadAhead(int source_fd, std::size_t capacity);
  ~ReadAhead();  // stops the thread, even while it waits for input
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Up to n bytes of the source, in order; 0 at its end. Blocks while the
  // ring is empty. Throws RuntimeError if reading the source failed.
  std::size_t read(char* dst, std::size_t n);
  // Blocks until at least min(n, capacity / 2) bytes are buffered, or the
  // source ended (or failed).
  void wait_buffered(std::size_t n);

 private:
  void run() noexcept;
  bool wait_for_room();                     // false once stopped
  bool wait_readable();                     // false once stopped
  void produced(std::size_t n);

  int source_, source_flags_ = 0;
  int stop_r_ = -1, stop_w_ = -1;  // written by the destructor to wake the thread's poll
  const std::size_t cap_;
  std::unique_ptr<char[]> ring_;
  std::size_t head_ = 0, size_ = 0;  // filled bytes: [head_, head_ + size_) modulo cap_
  bool eof_ = false, stopped_ = false;
  std::string error_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace syncpipe::load
