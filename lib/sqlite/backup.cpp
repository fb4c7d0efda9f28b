#include "sqlite/backup.hpp"

#include <sqlite3.h>

#include <algorithm>
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

}  // namespace

BackupStats backup_to(Database& src, const std::string& dest_path, int step_pages) {
  if (step_pages < 1) throw UsageError("a backup step must copy at least one page");
  Database dest = Database::open_readwrite(dest_path, true);
  dest.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
  BackupPtr b(sqlite3_backup_init(dest.handle(), "main", src.handle(), "main"));
  if (!b) detail::throw_error(dest.handle(), sqlite3_errcode(dest.handle()), dest_path);
  BackupStats s;
  std::int64_t step = step_pages, copied_before = 0;
  for (;;) {
    int rc = sqlite3_backup_step(b.get(), static_cast<int>(std::min<std::int64_t>(step, 1 << 30)));
    ++s.steps;
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      throw RuntimeError(src.path() + ": the file stayed locked by a writer for longer than the busy timeout");
    if (rc != SQLITE_OK) detail::throw_error(src.handle(), rc, src.path());
    std::int64_t copied = sqlite3_backup_pagecount(b.get()) - sqlite3_backup_remaining(b.get());
    if (copied <= copied_before) {  // started again from the first page
      ++s.restarts;
      step *= 2;
    }
    copied_before = copied;
  }
  s.pages = sqlite3_backup_pagecount(b.get());
  s.last_step_pages = step;
  int rc = sqlite3_errcode(dest.handle());
  b.reset();  // sqlite3_backup_finish
  if (rc != SQLITE_OK && rc != SQLITE_DONE) detail::throw_error(dest.handle(), rc, dest_path);
  return s;
}

}  // namespace syncpipe::sqlite
