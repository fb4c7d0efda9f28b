// Where sync-snapshot's scratch copy of a rollback-journal file lives
// (sync-snapshot(1), --copy-dir).
#pragma once

#include <cstdint>
#include <string>

namespace syncpipe::snapshot {

// The directory for the copy of a file of `file_bytes` when --copy-dir is not
// given: /dev/shm when the copy fits in memory (at most a quarter of the
// available memory and half of /dev/shm's free space), so that writing it
// never puts the tenant's disk under writeback while the app fsyncs its
// commits; else $TMPDIR; else /var/tmp.
std::string default_copy_dir(std::int64_t file_bytes);

// Creates a private directory sync-snapshot.<pid>.XXXXXX in `parent`. First
// removes the ones a killed run left behind: this user's, whose pid is gone.
std::string make_scratch_dir(const std::string& parent);

}  // namespace syncpipe::snapshot
