#include "core/base_state.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <xxhash.h>

#include "core/error.hpp"

namespace syncpipe {

namespace {

constexpr char kMagic[8] = {'S', 'Y', 'N', 'C', 'B', 'A', 'S', 'E'};
constexpr std::uint32_t kVersion = 1;

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// Reads the cache file back; every accessor returns false past the end.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : d_(data) {}
  bool u64(std::uint64_t& v) {
    if (d_.size() - pos_ < 8) return false;
    v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d_[pos_ + static_cast<std::size_t>(i)]);
    pos_ += 8;
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::uint64_t w = 0;
    if (d_.size() - pos_ < 4) return false;
    for (int i = 3; i >= 0; --i) w = (w << 8) | static_cast<unsigned char>(d_[pos_ + static_cast<std::size_t>(i)]);
    pos_ += 4;
    v = static_cast<std::uint32_t>(w);
    return true;
  }
  bool u8(std::uint8_t& v) {
    if (pos_ >= d_.size()) return false;
    v = static_cast<std::uint8_t>(d_[pos_++]);
    return true;
  }
  bool str(std::string& s) {
    std::uint32_t n = 0;
    if (!u32(n) || d_.size() - pos_ < n) return false;
    s.assign(d_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool bytes(std::string_view& s, std::size_t n) {
    if (d_.size() - pos_ < n) return false;
    s = d_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::size_t left() const { return d_.size() - pos_; }

 private:
  std::string_view d_;
  std::size_t pos_ = 0;
};

bool read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return n == 0;
}

bool read_entry(Cursor& c, BaseState& st) {
  std::uint64_t kh_hi, kh_lo, s_hi, s_lo, t_hi, t_lo;
  std::uint8_t has_tgt, status;
  std::uint32_t table;
  if (!c.u64(kh_hi) || !c.u64(kh_lo) || !c.u64(s_hi) || !c.u64(s_lo) || !c.u64(t_hi) || !c.u64(t_lo) ||
      !c.u8(has_tgt) || !c.u8(status) || !c.u32(table))
    return false;
  if (has_tgt > 1 || status > 2 || table >= st.tables.size()) return false;
  std::optional<Hash128> tgt;
  if (has_tgt) tgt = Hash128{t_hi, t_lo};
  st.put({kh_hi, kh_lo}, table, {s_hi, s_lo}, tgt, static_cast<BaseStatus>(status));
  return true;
}

std::optional<BaseState> parse(std::string_view data) {
  if (data.size() < 8 + 8) return std::nullopt;
  std::string_view body = data.substr(0, data.size() - 8);
  Cursor tail(data.substr(data.size() - 8));
  std::uint64_t sum = 0;
  if (!tail.u64(sum) || sum != XXH3_64bits(body.data(), body.size())) return std::nullopt;
  Cursor c(body);
  std::string_view magic;
  std::uint32_t version = 0, ntables = 0;
  std::uint64_t gen = 0, nentries = 0;
  BaseState st;
  if (!c.bytes(magic, 8) || std::memcmp(magic.data(), kMagic, 8) != 0) return std::nullopt;
  if (!c.u32(version) || version != kVersion || !c.u64(gen) || !c.str(st.client) || !c.u32(ntables))
    return std::nullopt;
  st.generation = static_cast<std::int64_t>(gen);
  for (std::uint32_t i = 0; i < ntables; ++i) {
    std::string name;
    if (!c.str(name)) return std::nullopt;
    st.tables.push_back(std::move(name));
  }
  if (!c.u64(nentries) || nentries > c.left() / 54) return std::nullopt;
  st.entries.reserve(nentries);
  for (std::uint64_t i = 0; i < nentries; ++i)
    if (!read_entry(c, st)) return std::nullopt;
  if (c.left() != 0 || st.entries.size() != nentries) return std::nullopt;
  return st;
}

std::string serialize(const BaseState& st) {
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kVersion);
  put_u64(out, static_cast<std::uint64_t>(st.generation));
  put_str(out, st.client);
  put_u32(out, static_cast<std::uint32_t>(st.tables.size()));
  for (const auto& t : st.tables) put_str(out, t);
  put_u64(out, st.entries.size());
  out.reserve(out.size() + st.entries.size() * 54 + 8);
  for (const auto& [kh, e] : st.entries) {
    put_u64(out, kh.hi);
    put_u64(out, kh.lo);
    put_u64(out, e.src.hi);
    put_u64(out, e.src.lo);
    put_u64(out, e.has_tgt ? e.tgt_hash.hi : 0);
    put_u64(out, e.has_tgt ? e.tgt_hash.lo : 0);
    out.push_back(e.has_tgt ? 1 : 0);
    out.push_back(static_cast<char>(e.status));
    put_u32(out, e.table);
  }
  put_u64(out, XXH3_64bits(out.data(), out.size()));
  return out;
}

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw RuntimeError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

void write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) io_error("cannot write", path);
    off += static_cast<std::size_t>(n);
  }
}

// Creates the directories of path's parent that are missing (mode 0700:
// the cache names a tenant's rows), like mkdir -p.
void make_parent_dirs(const std::string& path) {
  for (auto slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) io_error("cannot create directory", dir);
  }
}

void fsync_dir(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

const char* base_status_name(BaseStatus s) {
  switch (s) {
    case BaseStatus::Loaded: return "loaded";
    case BaseStatus::Quarantined: return "quarantined";
    case BaseStatus::Absent: return "absent";
  }
  return "loaded";
}

std::optional<BaseStatus> parse_base_status(std::string_view s) {
  for (auto st : {BaseStatus::Loaded, BaseStatus::Quarantined, BaseStatus::Absent})
    if (s == base_status_name(st)) return st;
  return std::nullopt;
}

std::uint32_t BaseState::table_id(std::string_view name) {
  if (auto id = find_table(name)) return *id;
  tables.emplace_back(name);
  return static_cast<std::uint32_t>(tables.size() - 1);
}

std::optional<std::uint32_t> BaseState::find_table(std::string_view name) const {
  for (std::size_t i = 0; i < tables.size(); ++i)
    if (tables[i] == name) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

void BaseState::put(const Hash128& kh, std::uint32_t table, const Hash128& src, const std::optional<Hash128>& tgt,
                    BaseStatus status) {
  BaseEntry& e = entries[kh];
  e = BaseEntry{};
  e.src = src;
  e.set_tgt(tgt);
  e.status = status;
  e.table = table;
}

std::optional<BaseState> BaseState::load(const std::string& path) {
  std::string data;
  if (!read_file(path, data)) return std::nullopt;
  return parse(data);
}

void BaseState::save(const std::string& path) const {
  std::string data = serialize(*this);
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {  // the state directory is made on first use
    make_parent_dirs(tmp);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  if (fd < 0) io_error("cannot create", tmp);
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) io_error("cannot fsync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    io_error("cannot rename onto", path);
  }
  fsync_dir(path);
}

std::string default_state_dir() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (std::string s = env("STATE_DIRECTORY"); !s.empty()) return s.substr(0, s.find(':'));
  if (std::string x = env("XDG_STATE_HOME"); !x.empty() && x[0] == '/') return x + "/syncpipe";
  std::string home = env("HOME");
  if (home.empty() || home[0] != '/') {
    const passwd* pw = ::getpwuid(::getuid());
    home = pw && pw->pw_dir ? pw->pw_dir : "";
  }
  if (home.empty() || home[0] != '/') return "/var/lib/syncpipe";
  return home + "/.local/state/syncpipe";
}

std::string cache_path(const std::string& dir, const std::string& client) {
  std::string name;
  for (unsigned char c : client) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (plain) name.push_back(static_cast<char>(c));
    else name += fmt::format("%{:02X}", c);
  }
  return dir + "/" + name + ".base";
}

}  // namespace syncpipe
