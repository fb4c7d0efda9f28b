#include "sqlite/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "sqlite/database.hpp"
#include "sqlite/errors.hpp"

namespace syncpipe::sqlite {

namespace {

struct BackupFinisher {
  void operator()(sqlite3_backup* b) const noexcept { sqlite3_backup_finish(b); }
};

using BackupPtr = std::unique_ptr<sqlite3_backup, BackupFinisher>;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw RuntimeError(path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

BackupStats backup_to(Database& src, const std::string& dest_path, int step_pages, int max_restarts) {
  if (step_pages < 1) throw UsageError("a backup step must copy at least one page");
  Database dest = Database::open_readwrite(dest_path, true);
  dest.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
  BackupPtr b(sqlite3_backup_init(dest.handle(), "main", src.handle(), "main"));
  if (!b) detail::throw_error(dest.handle(), sqlite3_errcode(dest.handle()), dest_path);
  BackupStats s;
  std::int64_t step = step_pages, copied_before = 0;
  for (;;) {
    const auto t0 = Clock::now();
    int rc = sqlite3_backup_step(b.get(), static_cast<int>(std::min<std::int64_t>(step, 1 << 30)));
    s.longest_step_s = std::max(s.longest_step_s, seconds_since(t0));
    ++s.steps;
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      throw RuntimeError(src.path() + ": the file stayed locked by a writer for longer than the busy timeout");
    if (rc != SQLITE_OK) detail::throw_error(src.handle(), rc, src.path());
    std::int64_t copied = sqlite3_backup_pagecount(b.get()) - sqlite3_backup_remaining(b.get());
    if (copied <= copied_before) {  // started again from the first page
      if (max_restarts >= 0 && s.restarts >= max_restarts) {
        s.gave_up = true;
        break;
      }
      ++s.restarts;
      step *= 2;
    }
    copied_before = copied;
  }
  s.pages = sqlite3_backup_pagecount(b.get());
  s.last_step_pages = step;
  int rc = sqlite3_errcode(dest.handle());
  b.reset();  // sqlite3_backup_finish
  if (s.gave_up) return s;
  if (rc != SQLITE_OK && rc != SQLITE_DONE) detail::throw_error(dest.handle(), rc, dest_path);
  return s;
}

namespace {

constexpr std::size_t kChunk = 1 << 20;

struct Chunk {
  XXH128_hash_t hash;
  std::size_t size;
};

bool same(const Chunk& a, const Chunk& b) { return a.size == b.size && XXH128_isEqual(a.hash, b.hash); }

Chunk chunk_of(const char* bytes, std::size_t size) { return Chunk{XXH3_128bits(bytes, size), size}; }

// Reads chunk `i` of `in` into buf; returns its size and hash (size 0 past the end).
Chunk read_chunk(int in, std::vector<char>& buf, std::size_t i, const std::string& path) {
  std::size_t got = 0;
  const auto off = static_cast<off_t>(i * kChunk);
  while (got < kChunk) {
    ssize_t n = pread(in, buf.data() + got, kChunk - got, off + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_error("cannot read for the copy", path);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return chunk_of(buf.data(), got);
}

void write_bytes(int out, const char* bytes, std::size_t i, std::size_t size, const std::string& path) {
  std::size_t put = 0;
  const auto off = static_cast<off_t>(i * kChunk);
  while (put < size) {
    ssize_t n = pwrite(out, bytes + put, size - put, off + static_cast<off_t>(put));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_error("cannot write the copy", path);
    put += static_cast<std::size_t>(n);
  }
}

// Pass 1, unlocked: every chunk copied, its hash kept.
std::vector<Chunk> copy_unlocked(int in, int out, std::vector<char>& buf, const std::string& src,
                                 const std::string& dest) {
  std::vector<Chunk> seen;
  for (std::size_t i = 0;; ++i) {
    Chunk c = read_chunk(in, buf, i, src);
    if (c.size == 0) break;
    write_bytes(out, buf.data(), i, c.size, dest);
    seen.push_back(c);
    if (c.size < kChunk) break;
  }
  return seen;
}

// Chunks mapped at a time in the locked pass: the process maps at most this
// much of the file (its RSS would otherwise grow by the file's size).
constexpr std::size_t kWindowChunks = 32;

// A window of a file under our SHARED lock, mapped. A rollback-journal file
// cannot change while the lock is held (writers need EXCLUSIVE), so every
// page of the mapping stays valid: hashing it in place is one pass over the
// page cache, about three times faster than pread() into a buffer, and that
// pass is what the app's writers wait for. (A process that ignores SQLite's
// locks and truncates the file meanwhile would make a read fault.)
class Mapping {
 public:
  Mapping(int fd, std::size_t offset, std::size_t size, const std::string& path) : size_(size) {
    void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) io_error("cannot map the file for the copy", path);
    data_ = static_cast<const char*>(p);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { munmap(const_cast<char*>(data_), size_); }
  const char* data() const { return data_; }

 private:
  const char* data_;
  std::size_t size_;
};

std::size_t size_of(int fd, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) io_error("cannot stat for the copy", path);
  return static_cast<std::size_t>(st.st_size);
}

// Pass 2, under the lock: every chunk that differs from what pass 1 saw, or
// is new, is written again. Returns the file's size; adds the bytes
// rewritten to `changed`.
std::int64_t copy_changed(int in, int out, const std::vector<Chunk>& seen, const std::string& src,
                          const std::string& dest, std::int64_t& changed) {
  const std::size_t size = size_of(in, src), window = kWindowChunks * kChunk;
  for (std::size_t at = 0; at < size; at += window) {
    const std::size_t end = std::min(at + window, size);
    const Mapping map(in, at, end - at, src);
    for (std::size_t off = at; off < end; off += kChunk) {
      const std::size_t i = off / kChunk, n = std::min(kChunk, size - off);
      const char* bytes = map.data() + (off - at);
      if (i >= seen.size() || !same(chunk_of(bytes, n), seen[i])) {
        write_bytes(out, bytes, i, n, dest);
        changed += static_cast<std::int64_t>(n);
      }
    }
  }
  return static_cast<std::int64_t>(size);
}

}  // namespace

VerifiedCopy copy_file_verified(Database& src, const std::string& dest_path, const std::function<void()>& between) {
  Fd in{open(src.path().c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) io_error("cannot open for the copy", src.path());
  Fd out{open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (out.fd < 0) io_error("cannot create the copy", dest_path);
  std::vector<char> buf(kChunk);
  const std::vector<Chunk> seen = copy_unlocked(in.fd, out.fd, buf, src.path(), dest_path);
  if (between) between();
  VerifiedCopy v;
  src.exec("BEGIN DEFERRED");
  try {
    src.exec("SELECT count(*) FROM main.sqlite_schema");  // takes the SHARED lock (waits for a writer)
    const auto locked = Clock::now();
    v.bytes = copy_changed(in.fd, out.fd, seen, src.path(), dest_path, v.changed);
    src.exec("COMMIT");  // releases the lock
    v.held_s = seconds_since(locked);
  } catch (...) {
    sqlite3_exec(src.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (ftruncate(out.fd, static_cast<off_t>(v.bytes)) != 0) io_error("cannot cut the copy to size", dest_path);
  return v;
}

}  // namespace syncpipe::sqlite
