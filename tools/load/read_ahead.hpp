// Keeps reading standard input while sync-load waits for PostgreSQL. A
// thread copies stdin into a bounded in-memory buffer and feeds it to an
// internal pipe that the record reader reads. Without it the pipeline stalls
// whenever the server is busy (a batch's base state, its commit): the 64 KiB
// pipes upstream fill at once and sync-snapshot, sync-diff and sync-resolve
// stop, leaving a CPU idle. With it they run up to kBufferBytes ahead.
//
//   ReadAhead ra(0);
//   ndjson::Reader in(ra.fd(), "stdin", max);   // read as from stdin
#pragma once

#include <cstddef>
#include <string>
#include <thread>

namespace syncpipe::load {

class ReadAhead {
 public:
  static constexpr std::size_t kBufferBytes = std::size_t{32} << 20;

  explicit ReadAhead(int source_fd);
  ~ReadAhead();  // stops the thread (it never blocks the exit)
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Read end of the internal pipe: the bytes of source_fd, in order, then
  // end of file. A read error on the source ends it early (a truncated
  // stream to the reader) and is logged.
  int fd() const { return out_r_; }

 private:
  void run() noexcept;

  int source_, source_flags_ = 0;
  int out_r_ = -1, out_w_ = -1;    // the pipe the reader reads
  int stop_r_ = -1, stop_w_ = -1;  // written by the destructor to wake the thread
  std::thread thread_;
};

}  // namespace syncpipe::load
