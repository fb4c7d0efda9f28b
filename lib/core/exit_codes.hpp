// The one table of exit codes shared by every syncpipe tool.
// Each man page repeats it under EXIT STATUS; systemd units rely on kStandby
// being listed in SuccessExitStatus=. Change a value here only with the pages
// and units in the same commit.
#pragma once

namespace syncpipe::exit_code {

inline constexpr int kOk = 0;          // done
inline constexpr int kError = 1;       // any other error: database refused, I/O, bug
inline constexpr int kManual = 2;      // finished, but unresolved manual conflicts remain
inline constexpr int kUnhealthy = 3;   // sync-status: report written, but the cluster is unhealthy (no leader, stale or failed tenant)
inline constexpr int kStandby = 10;    // sync-lease gate: another node holds the lease
inline constexpr int kFenced = 11;     // the stream's lease epoch is no longer current
inline constexpr int kStale = 12;      // the stream was computed against an older base; rerun
inline constexpr int kUsage = 64;      // bad command line (EX_USAGE)
inline constexpr int kBadInput = 65;   // malformed stream, corrupt SQLite, bad config (EX_DATAERR)
inline constexpr int kNoInput = 66;    // source file missing or unreadable (EX_NOINPUT)
inline constexpr int kCantCreate = 73; // sync-load --to-sqlite: the output file (or FILE.tmp) already exists (EX_CANTCREAT)
inline constexpr int kTempFail = 75;   // PostgreSQL unreachable or connection lost; retry later (EX_TEMPFAIL)

}  // namespace syncpipe::exit_code
