#include "sqlite/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <memory>

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

// Copies `size` bytes from the start of `in` to `out` in the kernel: copy_file_range(2), which
// refuses two files on different filesystems (EXDEV: a --copy-dir on tmpfs), then sendfile(2), which
// does not. Returns the bytes copied (fewer if `in` shrank), or -1 with errno set.
std::int64_t copy_bytes(int in, int out, std::int64_t size) {
  std::int64_t done = 0;
  bool ranged = true;
  while (done < size) {
    const auto want = static_cast<std::size_t>(size - done);
    ssize_t n = ranged ? copy_file_range(in, nullptr, out, nullptr, want, 0) : sendfile(out, in, nullptr, want);
    if (n < 0 && ranged && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      ranged = false;  // both calls advance the file offsets by what they copied: go on from there
      continue;
    }
    if (n < 0) return -1;
    if (n == 0) break;
    done += n;
  }
  return done;
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

LockedCopy copy_file_locked(Database& src, const std::string& dest_path) {
  src.exec("BEGIN DEFERRED");
  try {
    src.exec("SELECT count(*) FROM main.sqlite_schema");  // takes the SHARED lock (waits for a writer)
    const auto locked = Clock::now();
    Fd in{open(src.path().c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) io_error("cannot open for the copy", src.path());
    Fd out{open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (out.fd < 0) io_error("cannot create the copy", dest_path);
    struct stat st {};
    if (fstat(in.fd, &st) != 0) io_error("cannot stat", src.path());
    std::int64_t done = copy_bytes(in.fd, out.fd, st.st_size);
    if (done < 0) io_error("cannot copy", dest_path);
    src.exec("COMMIT");  // releases the lock
    return LockedCopy{done, seconds_since(locked)};
  } catch (...) {
    sqlite3_exec(src.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace syncpipe::sqlite
