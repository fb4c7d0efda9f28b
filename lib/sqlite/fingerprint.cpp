#include "sqlite/fingerprint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <fmt/format.h>

namespace syncpipe::sqlite {

namespace {

std::int64_t ns(const struct timespec& t) { return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

std::string hex(const unsigned char* p, std::size_t n) {
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

// Reads n bytes at offset of an open file; false on a short read.
bool read_at(int fd, off_t offset, unsigned char* out, std::size_t n) {
  return ::pread(fd, out, n, offset) == static_cast<ssize_t>(n);
}

struct Part {
  bool ok = false;
  std::string text;
  std::int64_t newest_ns = 0;
};

// One file: its stat fields and `len` header bytes at `offset`; its ctime
// only `with_ctime` (see fingerprint.hpp for why the WAL's is left out).
Part part(const std::string& path, off_t offset, std::size_t len, bool with_ctime) {
  Part p;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return p;
  struct stat st {};
  std::array<unsigned char, 32> hdr{};
  bool ok = ::fstat(fd, &st) == 0;
  // A file shorter than its header (empty, or being created): no header bytes.
  bool have_hdr = ok && st.st_size >= static_cast<off_t>(offset + len) && read_at(fd, offset, hdr.data(), len);
  ::close(fd);
  if (!ok) return p;
  p.ok = true;
  auto ctime = with_ctime ? ns(st.st_ctim) : 0;
  p.newest_ns = std::max(ns(st.st_mtim), ctime);
  p.text = fmt::format("{}:{}:{}:{}:{}:{}", st.st_dev, st.st_ino, st.st_size, ns(st.st_mtim),
                       with_ctime ? std::to_string(ctime) : "-", have_hdr ? hex(hdr.data(), len) : "-");
  return p;
}

bool pending_journal(const std::string& path) {
  struct stat st {};
  return ::stat((path + "-journal").c_str(), &st) == 0 && st.st_size > 0;
}

}  // namespace

Fingerprint take_fingerprint(const std::string& path) {
  // The clock first: a write after the stats below gets a timestamp no older
  // than this instant minus the file system's granularity.
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  Fingerprint f;
  Part db = part(path, 24, 8, true);
  if (!db.ok) return f;
  Part wal = part(path + "-wal", 0, 32, false);
  f.text = fmt::format("fp1 db={} wal={}", db.text, wal.ok ? wal.text : "none");
  auto newest = std::max(db.newest_ns, wal.ok ? wal.newest_ns : 0);
  auto margin = std::chrono::duration_cast<std::chrono::nanoseconds>(kSettleMargin).count();
  f.settled = newest < now - margin && !pending_journal(path);
  return f;
}

}  // namespace syncpipe::sqlite
