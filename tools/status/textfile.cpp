#include "textfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace syncpipe::status {

namespace {

// Owns a file descriptor; closing is checked explicitly where it matters.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int release() { return std::exchange(fd, -1); }
};

[[noreturn]] void fail(const std::string& target, const char* step, int err) {
  throw RuntimeError("cannot write " + target + ": " + step + ": " + std::strerror(err));
}

void write_all(int fd, std::string_view data, const std::string& target) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(target, "write", errno);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Steps 2-3 on an open temporary file; closes it.
void fill_and_rename(Fd& tmp, const std::string& tmp_path, const std::string& target, std::string_view content) {
  write_all(tmp.fd, content, target);
  if (::fsync(tmp.fd) != 0) fail(target, "fsync", errno);
  if (::fchmod(tmp.fd, 0644) != 0) fail(target, "chmod", errno);
  if (::close(tmp.release()) != 0) fail(target, "close", errno);
  if (::rename(tmp_path.c_str(), target.c_str()) != 0) fail(target, "rename", errno);
}

void sync_dir(const std::string& dir, const std::string& target) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) fail(target, "open directory", errno);
  if (::fsync(d.fd) != 0) fail(target, "fsync directory", errno);
}

}  // namespace

void write_atomically(const std::string& dir, const std::string& name, std::string_view content) {
  const std::string target = dir + "/" + name;
  std::string tmp_path = target + ".tmp.XXXXXX";
  Fd tmp(::mkostemp(tmp_path.data(), O_CLOEXEC));
  if (tmp.fd < 0) fail(target, "create temporary file", errno);
  try {
    fill_and_rename(tmp, tmp_path, target, content);
  } catch (...) {
    ::unlink(tmp_path.c_str());
    throw;
  }
  sync_dir(dir, target);
}

}  // namespace syncpipe::status
