// lib/sqlite against real files in a temp directory: open errors and statements.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "sqlite/backup.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/statement.hpp"
#include "sqlite_test_util.hpp"

using namespace syncpipe::sqlite;
using syncpipe::test::SqliteTest;
using syncpipe::test::write_file;
namespace fs = std::filesystem;

TEST_F(SqliteTest, MissingFileIsNoInput) {
  try {
    Database::open_readonly(path("absent.db"));
    FAIL() << "no exception";
  } catch (const syncpipe::NoInputError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.db: "), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), syncpipe::exit_code::kNoInput);
  }
  EXPECT_FALSE(fs::exists(path("absent.db")));
}

TEST_F(SqliteTest, GarbageFileIsInputError) {
  write_file(path("garbage.db"), std::string(4096, 'x'));
  try {
    Database::open_readonly(path("garbage.db"));
    FAIL() << "no exception";
  } catch (const syncpipe::InputError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind(path("garbage.db") + ": ", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST_F(SqliteTest, CorruptHeaderIsInputError) {
  {
    Database db = Database::open_readwrite(path("c.db"), true);
    db.exec("CREATE TABLE t(a); INSERT INTO t VALUES (1);");
  }
  std::string bytes;
  {
    std::ifstream in(path("c.db"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GE(bytes.size(), 512u);
  for (std::size_t i = 100; i < bytes.size(); ++i) bytes[i] = '\xA5';  // smash the pages
  write_file(path("c.db"), bytes);
  EXPECT_THROW(Database::open_readonly(path("c.db")), syncpipe::InputError);
}

TEST_F(SqliteTest, PathWithUriCharacters) {
  std::string p = path("we?ird#name%20.db");
  Database::open_readwrite(p, true).exec("CREATE TABLE t(a)");
  EXPECT_TRUE(fs::exists(p));
  Database db = Database::open_readonly(p);
  EXPECT_EQ(list_tables(db), std::vector<std::string>{"t"});
  EXPECT_THROW(db.exec("INSERT INTO t VALUES (1)"), syncpipe::Error);
}

TEST_F(SqliteTest, ReadonlyKeepsJournalMode) {
  Database::open_readwrite(path("w.db"), true).exec("PRAGMA journal_mode=WAL; CREATE TABLE t(a);");
  Database db = Database::open_readonly(path("w.db"));
  Statement st(db, "PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "wal");
}

TEST_F(SqliteTest, RoundTripsEveryStorageClass) {
  Database db = Database::open_readwrite(path("v.db"), true);
  db.exec("CREATE TABLE v(k INTEGER PRIMARY KEY, x)");
  Statement ins(db, "INSERT INTO v(k, x) VALUES (?1, ?2)", "v");
  const std::string nul_text("a\0b\xff", 4);
  const std::byte blob[] = {std::byte{0}, std::byte{0xff}};
  ins.bind(1, 1).bind(2, std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(ins.step());
  ins.reset();
  ins.bind(1, 2).bind(2, -0.0);
  ins.step();
  ins.reset();
  ins.bind(1, 3).bind(2, std::string_view(nul_text));
  ins.step();
  ins.reset();
  ins.bind(1, 4).bind(2, std::span<const std::byte>(blob));
  ins.step();
  ins.reset();
  ins.bind(1, 5).bind(2, nullptr);
  ins.step();
  ins.reset();
  ins.bind(1, 6).bind(2, std::string_view());
  ins.step();

  Statement sel(db, "SELECT x FROM v ORDER BY k", "v");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_type(0), ColumnType::Integer);
  EXPECT_EQ(sel.column_int64(0), std::numeric_limits<std::int64_t>::min());
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_type(0), ColumnType::Real);
  EXPECT_TRUE(std::signbit(sel.column_double(0)));
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_type(0), ColumnType::Text);
  EXPECT_EQ(sel.column_bytes(0), nul_text);
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_type(0), ColumnType::Blob);
  EXPECT_EQ(sel.column_bytes(0), std::string_view("\0\xff", 2));
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_type(0), ColumnType::Null);
  EXPECT_TRUE(sel.column_bytes(0).empty());
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.column_type(0), ColumnType::Text);  // '' is not NULL
  EXPECT_FALSE(sel.step());
  EXPECT_EQ(sel.column_count(), 1);
  EXPECT_EQ(sel.column_name(0), "x");
}

TEST_F(SqliteTest, StepErrorNamesFileAndContext) {
  Database db = Database::open_readwrite(path("e.db"), true);
  db.exec("CREATE TABLE t(a PRIMARY KEY)");
  Statement ins(db, "INSERT INTO t VALUES (1)", "table t");
  ins.step();
  ins.reset();
  try {
    ins.step();
    FAIL() << "no exception";
  } catch (const syncpipe::Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("e.db: table t: UNIQUE constraint failed"), std::string::npos) << what;
  }
  EXPECT_THROW(Statement(db, "SELEC nonsense"), syncpipe::RuntimeError);
  EXPECT_THROW(ins.bind(7, 1), syncpipe::RuntimeError);
}

TEST_F(SqliteTest, ErrorMessagesStayOnOneLine) {
  Database db = Database::open_readwrite(path("n.db"), true);
  try {
    Statement(db, "SELECT * FROM \"no\nsuch\"", "table no\nsuch");
    FAIL() << "no exception";
  } catch (const syncpipe::RuntimeError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find("table no\\x0asuch: no such table"), std::string::npos) << what;
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A rollback-journal file of several 1 MiB chunks.
void make_chunked_db(const std::string& path, int rows = 4000) {
  Database db = Database::open_readwrite(path, true);
  db.exec("PRAGMA journal_mode = DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); "
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(rows) +
          ") INSERT INTO t SELECT i, randomblob(1000) FROM n");
}

// The verified copy: what writers change between its unlocked pass and its locked one is copied again, so
// the copy is the file as it was under the lock, byte for byte.
TEST_F(SqliteTest, VerifiedCopyTakesWritesBetweenItsPasses) {
  make_chunked_db(path("src.db"));
  Database src = Database::open_readonly(path("src.db"));
  auto copy = copy_file_verified(src, path("copy.db"), [&] {
    Database w = Database::open_readwrite(path("src.db"), false);
    w.exec("UPDATE t SET b = randomblob(1000) WHERE id IN (5, 2000, 3999); "
           "WITH RECURSIVE n(i) AS (SELECT 4001 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
           "INSERT INTO t SELECT i, randomblob(1000) FROM n");
  });
  const std::string want = read_bytes(path("src.db"));
  EXPECT_EQ(copy.bytes, static_cast<std::int64_t>(want.size()));
  EXPECT_GT(copy.changed, 0);
  EXPECT_TRUE(read_bytes(path("copy.db")) == want) << "the copy differs from the file";
}

// The locked pass maps the file 32 MiB at a time: changes past the first window, and a last chunk that is
// not whole, are copied too.
TEST_F(SqliteTest, VerifiedCopyTakesWritesBeyondItsFirstWindow) {
  make_chunked_db(path("src.db"), 40000);  // about 39 MiB: two windows, the last chunk not whole
  Database src = Database::open_readonly(path("src.db"));
  auto copy = copy_file_verified(src, path("copy.db"), [&] {
    Database w = Database::open_readwrite(path("src.db"), false);
    w.exec("UPDATE t SET b = randomblob(1000) WHERE id IN (7, 39000); INSERT INTO t VALUES (40001, randomblob(3000))");
  });
  const std::string want = read_bytes(path("src.db"));
  ASSERT_GT(want.size(), std::size_t{36} << 20);
  EXPECT_EQ(copy.bytes, static_cast<std::int64_t>(want.size()));
  EXPECT_GE(copy.changed, std::int64_t{2} << 20);
  EXPECT_TRUE(read_bytes(path("copy.db")) == want) << "the copy differs from the file";
}

TEST_F(SqliteTest, VerifiedCopyOfAFileThatShrankBetweenItsPasses) {
  make_chunked_db(path("src.db"));
  Database src = Database::open_readonly(path("src.db"));
  copy_file_verified(src, path("copy.db"), [&] {
    Database w = Database::open_readwrite(path("src.db"), false);
    w.exec("DELETE FROM t WHERE id > 100; VACUUM");
  });
  EXPECT_TRUE(read_bytes(path("copy.db")) == read_bytes(path("src.db"))) << "the copy differs from the file";
  Database c = Database::open_readonly(path("copy.db"));
  Statement st(c, "SELECT count(*) FROM t", "count");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int64(0), 100);
}

TEST_F(SqliteTest, VerifiedCopyOfAQuietFileChangesNothingInItsLockedPass) {
  make_chunked_db(path("src.db"));
  Database src = Database::open_readonly(path("src.db"));
  auto copy = copy_file_verified(src, path("copy.db"));
  EXPECT_EQ(copy.changed, 0);
  EXPECT_GE(copy.held_s, 0);
  EXPECT_TRUE(read_bytes(path("copy.db")) == read_bytes(path("src.db")));
}
