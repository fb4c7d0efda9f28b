// lib/core/base_state: the local cache of a tenant's base state. A cache that
// is not exactly what was saved must never be used.
#include "core/base_state.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>

namespace syncpipe {
namespace {

class BaseStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/base_state_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/acme.base";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static BaseState sample() {
    BaseState st;
    st.client = "acme";
    st.generation = 42;
    auto chat = st.table_id("chat");
    auto user = st.table_id("user");
    st.put({1, 2}, chat, {3, 4}, Hash128{5, 6}, BaseStatus::Loaded);
    st.put({7, 8}, user, {9, 10}, std::nullopt, BaseStatus::Quarantined);
    st.put({~0ull, 0}, user, {11, 12}, std::nullopt, BaseStatus::Absent);
    return st;
  }

  std::string read_all() {
    std::ifstream f(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  void write_all(const std::string& data) {
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f << data;
  }

  std::string dir_, path_;
};

TEST_F(BaseStateTest, SaveLoadRoundTrip) {
  auto st = sample();
  st.save(path_);
  auto back = BaseState::load(path_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->client, "acme");
  EXPECT_EQ(back->generation, 42);
  EXPECT_EQ(back->tables, (std::vector<std::string>{"chat", "user"}));
  ASSERT_EQ(back->entries.size(), 3u);
  const auto& e = back->entries.at({1, 2});
  EXPECT_EQ(e.src, (Hash128{3, 4}));
  ASSERT_TRUE(e.tgt());
  EXPECT_EQ(*e.tgt(), (Hash128{5, 6}));
  EXPECT_EQ(e.status, BaseStatus::Loaded);
  EXPECT_EQ(back->tables[e.table], "chat");
  EXPECT_FALSE(back->entries.at({7, 8}).tgt());
  EXPECT_EQ(back->entries.at({7, 8}).status, BaseStatus::Quarantined);
  EXPECT_EQ(back->entries.at({~0ull, 0}).status, BaseStatus::Absent);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp." + std::to_string(getpid())));
}

TEST_F(BaseStateTest, EmptyStateRoundTrips) {
  BaseState st;
  st.client = "x";
  st.save(path_);
  auto back = BaseState::load(path_);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->entries.empty());
  EXPECT_EQ(back->generation, 0);
}

TEST_F(BaseStateTest, MissingFileIsNotACache) { EXPECT_FALSE(BaseState::load(dir_ + "/nope.base")); }

TEST_F(BaseStateTest, EveryFlippedByteIsRefused) {
  sample().save(path_);
  const std::string good = read_all();
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    write_all(bad);
    EXPECT_FALSE(BaseState::load(path_)) << "byte " << i;
  }
}

TEST_F(BaseStateTest, TruncatedOrExtendedIsRefused) {
  sample().save(path_);
  const std::string good = read_all();
  for (std::size_t n = 0; n < good.size(); n += 7) {
    write_all(good.substr(0, n));
    EXPECT_FALSE(BaseState::load(path_)) << "length " << n;
  }
  write_all(good + "x");
  EXPECT_FALSE(BaseState::load(path_));
}

TEST_F(BaseStateTest, SaveReplacesAtomically) {
  auto st = sample();
  st.save(path_);
  st.generation = 43;
  st.entries.erase({1, 2});
  st.save(path_);
  auto back = BaseState::load(path_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->generation, 43);
  EXPECT_EQ(back->entries.size(), 2u);
}

TEST_F(BaseStateTest, SaveWhereADirectoryCannotBeMadeThrows) {
  // Missing directories are created (SaveCreatesTheMissingStateDirectory); a
  // path through a regular file cannot be.
  std::ofstream(dir_ + "/plain-file") << "x";
  EXPECT_THROW(sample().save(dir_ + "/plain-file/dir/a.base"), std::exception);
}

// BaseMap against std::unordered_map: random puts and erases, with a third
// of the keys crowded onto the first and last home slots so probe runs wrap
// around and backward shifts cross the end; then every key is checked and
// iteration visits each entry once.
Hash128 crowded_key(std::uint64_t k) {
  constexpr std::uint64_t kMix = 0x9E3779B97F4A7C15ull;  // BaseMap::home's multiplier
  std::uint64_t inv = kMix;                              // its inverse mod 2^64 (Newton)
  for (int i = 0; i < 6; ++i) inv *= 2 - kMix * inv;
  std::uint64_t hi = k, lo = k * 0x2545F4914F6CDD1Dull;
  if (k % 10 == 0) lo = hi;                        // mixed 0: home slot 0
  if (k % 10 == 5) lo = hi ^ (~std::uint64_t{0} * inv);  // mixed 2^64-1: the last slot
  return {hi, lo};
}

TEST(BaseMap, MatchesUnorderedMapUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(7);
  BaseMap m;
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  for (int round = 0; round < 200000; ++round) {
    std::uint64_t k = rng() % 5000;
    if (rng() % 3 == 0) {
      ASSERT_EQ(m.erase(crowded_key(k)), ref.erase(k));
    } else {
      m[crowded_key(k)].src = Hash128{k, static_cast<std::uint64_t>(round)};
      ref[k] = static_cast<std::uint64_t>(round);
    }
    ASSERT_EQ(m.size(), ref.size());
  }
  for (std::uint64_t k = 0; k < 5000; ++k) {
    auto it = m.find(crowded_key(k));
    ASSERT_EQ(it != m.end(), ref.count(k) == 1) << k;
    if (it != m.end()) {
      EXPECT_EQ(it->second.src.lo, ref.at(k));
    }
  }
  std::size_t seen = 0;
  for (const auto& [kh, e] : m) {
    ++seen;
    EXPECT_EQ(kh, crowded_key(e.src.hi));
  }
  EXPECT_EQ(seen, ref.size());
}

TEST(BaseMap, FindAtEraseAndDefaults) {
  BaseMap m;
  EXPECT_EQ(m.find({1, 1}), m.end());
  EXPECT_THROW(m.at({1, 1}), std::out_of_range);
  EXPECT_EQ(m.erase({1, 1}), 0u);
  m[{1, 1}].table = 3;
  EXPECT_TRUE(m.contains({1, 1}));
  EXPECT_EQ(m.at({1, 1}).table, 3u);
  EXPECT_EQ(m.find({1, 1})->second.table, 3u);
  EXPECT_EQ(m.erase({1, 1}), 1u);
  EXPECT_TRUE(m.empty());
  m.reserve(1000);
  for (std::uint64_t i = 0; i < 1000; ++i) m[{i, ~i}].src = {i, i};
  for (std::uint64_t i = 0; i < 1000; i += 2) m.erase({i, ~i});
  for (std::uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(m.contains({i, ~i}), i % 2 == 1) << i;
}

TEST(BaseStateTables, TableIdAddsOnce) {
  BaseState st;
  EXPECT_EQ(st.table_id("a"), 0u);
  EXPECT_EQ(st.table_id("b"), 1u);
  EXPECT_EQ(st.table_id("a"), 0u);
  EXPECT_EQ(st.find_table("b"), 1u);
  EXPECT_FALSE(st.find_table("c"));
}

TEST(BaseStatus, NamesRoundTrip) {
  for (auto s : {BaseStatus::Loaded, BaseStatus::Quarantined, BaseStatus::Absent})
    EXPECT_EQ(parse_base_status(base_status_name(s)), s);
  EXPECT_FALSE(parse_base_status("gone"));
}

TEST(CachePath, TenantIdCannotLeaveTheDirectory) {
  EXPECT_EQ(cache_path("/var/lib/syncpipe", "acme-1_x"), "/var/lib/syncpipe/acme-1_x.base");
  EXPECT_EQ(cache_path("/d", "../etc/passwd"), "/d/%2E%2E%2Fetc%2Fpasswd.base");
  EXPECT_EQ(cache_path("/d", "a b"), "/d/a%20b.base");
}

TEST(CachePath, StateDirectoryFromSystemdElseXdgElseHome) {
  setenv("XDG_STATE_HOME", "/xdg/state", 1);
  setenv("HOME", "/home/u", 1);
  setenv("STATE_DIRECTORY", "/var/lib/syncpipe:/var/lib/other", 1);
  EXPECT_EQ(default_state_dir(), "/var/lib/syncpipe");
  setenv("STATE_DIRECTORY", "/srv/state", 1);
  EXPECT_EQ(default_state_dir(), "/srv/state");
  unsetenv("STATE_DIRECTORY");
  EXPECT_EQ(default_state_dir(), "/xdg/state/syncpipe");
  setenv("XDG_STATE_HOME", "relative", 1);  // the XDG spec: relative paths are ignored
  EXPECT_EQ(default_state_dir(), "/home/u/.local/state/syncpipe");
  unsetenv("XDG_STATE_HOME");
  EXPECT_EQ(default_state_dir(), "/home/u/.local/state/syncpipe");
}

TEST(BaseStateFile, SaveCreatesTheMissingStateDirectory) {
  char tmpl[] = "/tmp/syncpipe-state-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/a/b";
  BaseState st;
  st.client = "c";
  st.generation = 3;
  st.save(cache_path(dir, "c"));
  struct stat sb {};
  ASSERT_EQ(stat(dir.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
  auto back = BaseState::load(cache_path(dir, "c"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->generation, 3);
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

}  // namespace
}  // namespace syncpipe
