#include "source.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "scratch.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::snapshot {

namespace {

bool is_wal(sqlite::Database& db) {
  // Without an argument the pragma only reports: a WAL file says "wal", any
  // rollback-journal file this connection's (unchanged) default.
  sqlite::Statement st(db, "PRAGMA main.journal_mode", "journal_mode");
  return st.step() && st.column_text(0) == "wal";
}

bool wants_copy(const SourceOptions& opt, bool wal) {
  switch (opt.copy) {
    case CopyMode::Always: return true;
    case CopyMode::Never: return false;
    case CopyMode::Auto: break;
  }
  return !wal;
}

// Restarts of a stepwise copy of a rollback-journal file before it is taken
// in two passes instead, the second under one lock. None: every restart
// doubles the step, so waiting for a second one would hold the app's writers
// for steps of 8 and 16 MiB, and under constant writes it ends in the two
// passes all the same, seconds later.
constexpr int kMaxRestarts = 0;

// Copies the file into `dest`; returns the line -v logs.
std::string copy_source(sqlite::Database& file, const std::string& dest, int step_pages, bool wal) {
  auto s = sqlite::backup_to(file, dest, step_pages, wal ? -1 : kMaxRestarts);
  if (s.gave_up) {
    auto c = sqlite::copy_file_verified(file, dest);
    return fmt::format("a stepwise copy restarted by a write after {} steps (longest step {:.0f} ms), then copied {} "
                       "bytes unlocked and read them again under one lock held {:.0f} ms ({} bytes had changed)",
                       s.steps, s.longest_step_s * 1000, c.bytes, c.held_s * 1000, c.changed);
  }
  return fmt::format(
      "copied {} pages in {} steps ({} restarts after writes, {} pages per step at the end, longest step {:.0f} ms)",
      s.pages, s.steps, s.restarts, s.last_step_pages, s.longest_step_s * 1000);
}

std::int64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

}  // namespace

CopyMode parse_copy_mode(const std::string& text) {
  if (text == "auto") return CopyMode::Auto;
  if (text == "always") return CopyMode::Always;
  if (text == "never") return CopyMode::Never;
  throw UsageError(fmt::format("--copy must be auto, always or never, not \"{}\"", text));
}

Source::Source(const SourceOptions& opt) : file_(sqlite::Database::open_readonly(opt.file, opt.busy_timeout_ms)) {
  const bool wal = is_wal(file_);
  if (!wants_copy(opt, wal)) return;
  const std::string parent = opt.copy_dir.empty() ? default_copy_dir(file_size(opt.file)) : opt.copy_dir;
  dir_ = make_scratch_dir(parent);
  std::string how;
  try {
    how = copy_source(file_, dir_ + "/copy.db", opt.step_pages, wal);
    copy_.emplace(sqlite::Database::open_readonly(dir_ + "/copy.db"));
    copy_->name_in_messages(opt.file);
  } catch (...) {
    remove_scratch();
    throw;
  }
  // Open, the copy is read through its descriptor: removed now, it leaves
  // nothing behind however this run ends (killed included).
  remove_scratch();
  log::debug("{}: {} into {}; the file is no longer locked by this snapshot", opt.file, how, parent);
}

void Source::remove_scratch() {
  if (dir_.empty()) return;
  unlink((dir_ + "/copy.db").c_str());
  rmdir(dir_.c_str());
  dir_.clear();
}

}  // namespace syncpipe::snapshot
