// sync-load --to-sqlite FILE: a new SQLite file from a snapshot stream
// (sync-snapshot --from-postgres, or a file's own snapshot): the
// sqlite_schema record's tables, then every row, then its indexes, triggers
// and views, then user_version. Written as FILE.tmp, checked with PRAGMA
// integrity_check, fsynced and renamed to FILE, which is never overwritten
// (exit 73 when it exists). On any failure FILE.tmp is removed and FILE is
// not created (sync-load(1), RESTORE).
#pragma once

#include <cstddef>
#include <string>

namespace syncpipe::load {

struct ToSqliteOptions {
  std::string file;
  std::size_t max_record = 0;
  bool progress = false;  // a line on stderr, rewritten about once a second
};

int to_sqlite(const ToSqliteOptions& opt);

}  // namespace syncpipe::load
