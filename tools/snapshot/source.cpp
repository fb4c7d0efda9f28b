#include "source.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "sqlite/statement.hpp"

namespace syncpipe::snapshot {

namespace {

bool is_wal(sqlite::Database& db) {
  // Without an argument the pragma only reports: a WAL file says "wal", any
  // rollback-journal file this connection's (unchanged) default.
  sqlite::Statement st(db, "PRAGMA main.journal_mode", "journal_mode");
  return st.step() && st.column_text(0) == "wal";
}

bool wants_copy(const SourceOptions& opt, sqlite::Database& db) {
  switch (opt.copy) {
    case CopyMode::Always: return true;
    case CopyMode::Never: return false;
    case CopyMode::Auto: break;
  }
  return !is_wal(db);
}

std::string make_scratch_dir(const std::string& parent) {
  std::string templ = parent + "/sync-snapshot.XXXXXX";
  if (!mkdtemp(templ.data()))
    throw RuntimeError(fmt::format("{}: cannot create a scratch directory for the copy: {} (see --copy-dir)",
                                   parent, std::strerror(errno)));
  return templ;
}

}  // namespace

CopyMode parse_copy_mode(const std::string& text) {
  if (text == "auto") return CopyMode::Auto;
  if (text == "always") return CopyMode::Always;
  if (text == "never") return CopyMode::Never;
  throw UsageError(fmt::format("--copy must be auto, always or never, not \"{}\"", text));
}

Source::Source(const SourceOptions& opt) : file_(sqlite::Database::open_readonly(opt.file, opt.busy_timeout_ms)) {
  if (!wants_copy(opt, file_)) return;
  dir_ = make_scratch_dir(opt.copy_dir);
  try {
    stats_ = sqlite::backup_to(file_, dir_ + "/copy.db", opt.step_pages);
    copy_.emplace(sqlite::Database::open_readonly(dir_ + "/copy.db"));
    copy_->name_in_messages(opt.file);
  } catch (...) {
    remove_scratch();
    throw;
  }
  // Open, the copy is read through its descriptor: removed now, it leaves
  // nothing behind however this run ends (killed included).
  remove_scratch();
  log::debug("{}: copied {} pages in {} steps ({} restarts after writes, {} pages per step at the end); "
             "the file is no longer locked by this snapshot",
             opt.file, stats_->pages, stats_->steps, stats_->restarts, stats_->last_step_pages);
}

void Source::remove_scratch() {
  if (dir_.empty()) return;
  unlink((dir_ + "/copy.db").c_str());
  rmdir(dir_.c_str());
  dir_.clear();
}

}  // namespace syncpipe::snapshot
