#include "to_sqlite.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <optional>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader.hpp"
#include "sqlite/database.hpp"
#include "sqlite_writer.hpp"

namespace syncpipe::load {

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw RuntimeError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_error("cannot fsync", path);
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// FILE.tmp -> FILE, failing (not replacing) when FILE appeared meanwhile.
void publish(const std::string& tmp, const std::string& file) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, file.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno == EEXIST) throw CantCreateError(fmt::format("{} appeared during the restore; left alone", file));
  if (errno != EINVAL && errno != ENOSYS) io_error("cannot rename to", file);
  // A file system without RENAME_NOREPLACE: link() refuses an existing name too.
  if (::link(tmp.c_str(), file.c_str()) != 0) {
    if (errno == EEXIST) throw CantCreateError(fmt::format("{} appeared during the restore; left alone", file));
    io_error("cannot link to", file);
  }
  ::unlink(tmp.c_str());
}

// Removes FILE.tmp unless the restore got as far as renaming it.
struct TmpGuard {
  std::string path;
  bool keep = false;
  ~TmpGuard() {
    if (!keep) ::unlink(path.c_str());
  }
};

ndjson::SqliteSchema read_schema(ndjson::Reader& in) {
  // A file snapshot that skipped rows would restore a file without them.
  if (ndjson::read_head(in, nullptr).header.skip_unchanged) in.fail(ndjson::every_row_refusal("sync-load --to-sqlite"));
  if (!in.next() || ndjson::record_type(in) != ndjson::RecordType::SqliteSchema)
    in.fail("expected a sqlite_schema record after the header (a stream of sync-snapshot --from-postgres, or of "
            "sync-snapshot FILE)");
  return ndjson::parse_sqlite_schema(in);
}

}  // namespace

int to_sqlite(const ToSqliteOptions& opt) {
  const std::string tmp = opt.file + ".tmp";
  if (exists(opt.file)) throw CantCreateError(fmt::format("{} exists: a restore never overwrites a file", opt.file));
  if (exists(tmp))
    throw CantCreateError(fmt::format("{} exists (an interrupted restore?): remove it first", tmp));
  ndjson::Reader in(0, "stdin", opt.max_record);
  auto schema = read_schema(in);
  TmpGuard guard{tmp};
  std::uint64_t rows = 0, tables = 0;
  {
    // O_EXCL semantics: the file must be new (another restore may race us).
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      guard.keep = errno == EEXIST;
      if (errno == EEXIST) throw CantCreateError(fmt::format("{} exists: another restore is writing it", tmp));
      io_error("cannot create", tmp);
    }
    ::close(fd);
    auto db = sqlite::Database::open_readwrite(tmp, false);
    SqliteWriter w(db, opt.progress);
    w.begin(schema);
    w.rows(in);
    w.finish(schema);
    rows = w.total_rows();
    tables = w.tables();
  }
  fsync_path(tmp, O_RDONLY);
  publish(tmp, opt.file);
  guard.keep = true;
  fsync_path(dir_of(opt.file), O_RDONLY | O_DIRECTORY);
  log::info("restored {} rows in {} tables to {} (user_version {}, integrity_check ok)", rows, tables, opt.file,
            schema.user_version);
  return exit_code::kOk;
}

}  // namespace syncpipe::load
