// The identity of a tenant's SQLite file, so a scheduler can prove the file
// has not changed since a snapshot without reading it (syncpipe-cycle(8),
// UNCHANGED TENANTS). No sqlite3.h: the fingerprint reads stat(2) and the
// on-disk headers only.
//
// Format (version 1, one line of ASCII, compared as a whole string):
//   "fp1 db=DEV:INO:SIZE:MTIME_NS:CTIME_NS:HDR wal=none|DEV:INO:SIZE:MTIME_NS:-:HDR"
// db HDR: bytes 24..31 of the database header in hex (the file change
// counter, bumped by every rollback-journal commit, and the size in pages);
// wal HDR: the 32-byte WAL header in hex (checkpoint sequence and salts,
// which change whenever a writer restarts the WAL).
// The WAL's ctime is left out: SQLite running as root fchown(2)s the WAL at
// every open, a reader's included, which moves its ctime without a write.
// Writes to the WAL still move its mtime, size or header, and a restore
// moves the database file's ctime or inode.
//
// Why it is safe: every write, checkpoint, WAL restart or truncation, and a
// file put in place by a restore (new inode, or new content: ctime cannot be
// set from user space) changes at least one field. Two writes inside one
// timestamp tick are told apart because a fingerprint is only "settled"
// (usable) when every timestamp in it is older than `kSettleMargin` before
// it was taken: any later write then gets a strictly newer mtime and ctime,
// on any file system whose timestamp granularity is at most the margin.
#pragma once

#include <chrono>
#include <string>

namespace syncpipe::sqlite {

// Larger than the coarsest timestamp granularity of a Linux file system we
// expect (1 s; ext4/xfs/btrfs: one clock tick).
inline constexpr std::chrono::seconds kSettleMargin{2};

struct Fingerprint {
  std::string text;     // "" when the database file cannot be stat'ed or read
  bool settled = false; // nothing in it changed within kSettleMargin of taking it
                        // and no rollback journal is pending
};

// Takes the fingerprint of `path` (and of `path`-wal, `path`-journal). Never
// throws; a file that cannot be read gives an empty, unsettled fingerprint.
Fingerprint take_fingerprint(const std::string& path);

}  // namespace syncpipe::sqlite
