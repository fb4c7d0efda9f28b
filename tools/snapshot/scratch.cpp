#include "scratch.hpp"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <fmt/format.h>
#include <string_view>

#include "core/error.hpp"
#include "core/log.hpp"

namespace syncpipe::snapshot {

namespace {

constexpr std::string_view kPrefix = "sync-snapshot.";

// MemAvailable from /proc/meminfo, in bytes; 0 when unknown.
std::int64_t memory_available() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  long long kib = 0;
  while (std::getline(in, line))  // "MemAvailable:   23930724 kB"; some lines have no unit
    if (std::sscanf(line.c_str(), "MemAvailable: %lld kB", &kib) == 1) return kib * 1024;
  return 0;
}

bool fits_in_memory(std::int64_t bytes) {
  struct statvfs fs {};
  if (access("/dev/shm", W_OK | X_OK) != 0 || statvfs("/dev/shm", &fs) != 0) return false;
  const auto shm_free = static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
  return bytes <= shm_free / 2 && bytes <= memory_available() / 4;
}

// The pid in "sync-snapshot.<pid>.XXXXXX", or 0.
pid_t pid_of(std::string_view name) {
  if (name.substr(0, kPrefix.size()) != kPrefix) return 0;
  name.remove_prefix(kPrefix.size());
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.') return 0;
  return pid;
}

void remove_stale(const std::string& parent) {
  DIR* d = opendir(parent.c_str());
  if (!d) return;  // make_scratch_dir reports an unusable parent
  while (const dirent* e = readdir(d)) {
    const pid_t pid = pid_of(e->d_name);
    if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    const std::string dir = parent + "/" + e->d_name;
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) continue;
    unlink((dir + "/copy.db").c_str());
    if (rmdir(dir.c_str()) == 0) log::info("{}: removed the scratch copy of a run that was killed (pid {})", dir, pid);
  }
  closedir(d);
}

}  // namespace

std::string default_copy_dir(std::int64_t file_bytes) {
  if (fits_in_memory(file_bytes)) return "/dev/shm";
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/var/tmp";
}

std::string make_scratch_dir(const std::string& parent) {
  remove_stale(parent);
  std::string templ = fmt::format("{}/{}{}.XXXXXX", parent, kPrefix, getpid());
  if (!mkdtemp(templ.data()))
    throw RuntimeError(fmt::format("{}: cannot create a scratch directory for the copy: {} (see --copy-dir)",
                                   parent, std::strerror(errno)));
  return templ;
}

}  // namespace syncpipe::snapshot
