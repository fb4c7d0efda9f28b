// A page copy of a database with SQLite's online backup API, taken in small
// steps so the source's writers are held off for one step at a time, never
// for the whole copy (sync-snapshot(1), "The app comes first").
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace syncpipe::sqlite {

class Database;

struct BackupStats {
  std::int64_t pages = 0;        // pages in the finished copy
  std::int64_t steps = 0;        // sqlite3_backup_step calls
  std::int64_t restarts = 0;     // copies started again after another connection wrote the source
  std::int64_t last_step_pages = 0;  // pages per step when the copy finished
  bool gave_up = false;          // max_restarts reached: the copy is incomplete (see copy_file_verified)
  double longest_step_s = 0;     // the longest step: the longest a writer of the source could wait on it
};

struct VerifiedCopy {
  std::int64_t bytes = 0;    // the size of the image
  std::int64_t changed = 0;  // bytes the locked pass found changed since the unlocked one, copied again
  double held_s = 0;         // how long the SHARED lock was held (waiting for it not included)
};

// Copies the main database of `src` into the new file `dest_path` (which must
// not exist), `step_pages` pages per step. Each step holds a shared lock on
// the source only while it runs; a writer waits for at most one step.
//
// A write to the source by another connection between two steps makes SQLite
// restart the copy from the first page (the copy is always one consistent
// image). Under constant writes that would never end, so every restart
// doubles the step: the copy ends after at most log2(pages / step_pages) + 1
// restarts, in the worst case with one step that holds the lock for a page
// copy of the whole file, which is still shorter than reading its rows.
//
// A writer holding the source locked is waited for through src's busy
// timeout; a step still busy after it throws RuntimeError. The destination is
// written without a journal or fsync (it is a private scratch copy).
// With max_restarts >= 0, gives up (gave_up set, the destination left
// incomplete) at the restart after that many instead.
// REQUIRES: no read transaction is open on src.
BackupStats backup_to(Database& src, const std::string& dest_path, int step_pages, int max_restarts = -1);

// Copies the bytes of src's main file into dest_path (created or truncated) in
// two passes, so that a writer of src waits for one read of the file, never
// for a copy of it (sync-snapshot(1), "The app comes first"):
//   1. unlocked: the file is copied in 1 MiB chunks, each hashed (XXH3-128) as
//      it is written; writers commit meanwhile, so this image may be torn;
//   2. under one SHARED lock (no writer can change a rollback-journal file, and
//      SQLite has rolled back any hot journal): the file is mapped and hashed
//      again in place, and each chunk whose hash or length differs, or that is
//      new, is written again; the copy is cut to the file's size.
// The result is the file as it was under the lock: a consistent image. For a
// rollback-journal file only (a WAL file's last commits are in -wal).
// `between` runs after the first pass (tests change the file there).
// REQUIRES: no read transaction is open on src.
VerifiedCopy copy_file_verified(Database& src, const std::string& dest_path,
                                const std::function<void()>& between = {});

}  // namespace syncpipe::sqlite
