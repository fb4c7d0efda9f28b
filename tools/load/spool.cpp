#include "spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "core/error.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"

namespace syncpipe::load {

Spool::~Spool() {
  if (fd >= 0) ::close(fd);
}

namespace {

int open_tmpfile(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string tmpl = dir + "/sync-load.XXXXXX";  // filesystems without O_TMPFILE
  fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) throw RuntimeError(fmt::format("spool in {}: {}", dir, std::strerror(errno)));
  ::unlink(tmpl.c_str());
  return fd;
}

}  // namespace

void spool_stdin(const std::string& dir, std::size_t max_record, Spool& out) {
  out.fd = open_tmpfile(dir);
  ndjson::Reader in(0, "stdin", max_record);
  {
    ndjson::RecordWriter w(out.fd);
    out.head = ndjson::read_head(in, &w);
    while (in.next()) w.line(in.line());
    w.finish();
    out.records = w.records();
    out.bytes = in.bytes_read();
  }
  if (::lseek(out.fd, 0, SEEK_SET) < 0) throw RuntimeError(fmt::format("spool: {}", std::strerror(errno)));
}

}  // namespace syncpipe::load
