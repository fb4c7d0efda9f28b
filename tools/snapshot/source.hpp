// The database sync-snapshot reads (sync-snapshot(1), "The app comes first").
//
// Open WebUI's default rollback journal lets no writer commit while any reader
// holds its shared lock, and a snapshot's single read transaction would hold
// that lock until the downstream stages had consumed the whole stream. So a
// rollback-journal file is first copied page by page into a private scratch
// file with the backup API (sqlite/backup.hpp), one short step under the lock
// at a time, and the stream is read from that copy: once the copy is done,
// the tenant file is no longer locked, however slow the consumer. When writes
// keep restarting that copy, the file's bytes are copied unlocked and read
// again under one shared lock (sqlite::copy_file_verified). A WAL file is read
// in place: WAL readers never block writers.
#pragma once

#include <optional>
#include <string>

#include "sqlite/backup.hpp"
#include "sqlite/database.hpp"

namespace syncpipe::snapshot {

enum class CopyMode { Auto, Always, Never };

// "auto", "always" or "never"; anything else throws UsageError.
CopyMode parse_copy_mode(const std::string& text);

struct SourceOptions {
  std::string file;
  CopyMode copy = CopyMode::Auto;
  std::string copy_dir;  // where the scratch copy lives while the snapshot runs; empty: default_copy_dir
  int busy_timeout_ms = 10000;
  int step_pages = 1024;
};

class Source {
 public:
  // Opens opt.file read-only; copies it first unless the mode (or, for auto,
  // WAL) says to read it in place. Error messages name opt.file.
  explicit Source(const SourceOptions& opt);
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // The database to read: the file itself, or its copy.
  sqlite::Database& db() { return copy_ ? *copy_ : file_; }

 private:
  sqlite::Database file_;
  std::optional<sqlite::Database> copy_;
  void remove_scratch();  // the copy stays readable through copy_ until it closes

  std::string dir_;  // the scratch directory while the copy is made, else empty
};

}  // namespace syncpipe::snapshot
