// lib/pg against a real PostgreSQL: the cluster the PG* variables point to
// (tests/run-all.sh starts one). Each test creates and drops its own
// database. An unreachable server makes every test FAIL, never skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/error.hpp"
#include "pg/binary_array.hpp"
#include "pg/connection.hpp"
#include "pg/copy.hpp"
#include "pg/copy_format.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::pg {
namespace {

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    db_ = "syncpipe_pg_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    Connection admin = Connection::open("dbname=postgres", "pg_test");
    admin.exec("DROP DATABASE IF EXISTS {}", admin.quote_ident(db_));
    admin.exec("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0", admin.quote_ident(db_));
  }
  void TearDown() override {
    if (std::getenv("SYNCPIPE_KEEP_TEST_DB")) return;
    Connection admin = Connection::open("dbname=postgres", "pg_test");
    admin.exec("DROP DATABASE IF EXISTS {} WITH (FORCE)", admin.quote_ident(db_));
  }
  Connection connect() { return Connection::open("dbname=" + db_, "pg_test"); }

  static std::int64_t count(Connection& c, const std::string& table) {
    return c.exec("SELECT count(*) FROM {}", c.quote_ident(table)).get_int64(0, 0);
  }
  static std::string port() {
    const char* p = std::getenv("PGPORT");
    return p && *p ? p : "5432";
  }

  std::string db_;
};

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

// Every byte but NUL, so it can travel as text.
std::string tricky_text() {
  std::string s = "a\\b\tc\nd\re\\N\\\\.\\x41 \\101 'q' \"dq\" \xc3\xa9 \xf0\x9f\x98\x80 ";
  for (int i = 1; i < 128; ++i) s += static_cast<char>(i);
  return s + "\\";
}

// --- connection -------------------------------------------------------------

TEST_F(PgTest, ConnectsWithApplicationNameAndUtf8) {
  Connection c = connect();
  const Result r = c.exec(
      "SELECT current_setting('application_name'), current_setting('client_encoding')");
  EXPECT_EQ(r.get(0, 0), "pg_test");
  EXPECT_EQ(r.get(0, 1), "UTF8");
  EXPECT_GE(c.server_version(), 150000);
  EXPECT_GT(c.backend_pid(), 0);
}

TEST_F(PgTest, ConnectionErrorNamesNoPassword) {
  const std::string secret = "Sup3rS3cretPw";
  const std::string dsns[] = {
      "host=127.0.0.1 port=" + port() + " user=no_such_user password=" + secret + " dbname=" + db_,
      "host=127.0.0.1 port=1 user=x password=" + secret + " connect_timeout=5",
      "postgresql://x:" + secret + "@127.0.0.1:1/db?connect_timeout=5",
  };
  for (const auto& dsn : dsns) {
    try {
      Connection::open(dsn, "pg_test");
      ADD_FAILURE() << "connected with " << dsn;
    } catch (const TempFailError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find(secret), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_NE(what.find("cannot connect"), std::string::npos) << what;
      EXPECT_EQ(e.code(), exit_code::kTempFail);
    }
  }
}

TEST_F(PgTest, MalformedDsnIsAUsageErrorWithoutTheDsn) {
  try {
    Connection::open("host=x password='Sup3rS3cretPw", "pg_test");
    FAIL() << "accepted a malformed dsn";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find("Sup3r"), std::string::npos) << e.what();
  }
}

TEST_F(PgTest, TerminatedBackendIsTempFail) {
  Connection victim = connect();
  Connection killer = connect();
  const Result r = killer.exec_params("SELECT pg_terminate_backend($1::int4, 10000)",
                                      {Param::int64(victim.backend_pid())});
  ASSERT_EQ(r.get(0, 0), "t");
  try {
    victim.exec("SELECT 1");
    FAIL() << "query on a terminated backend succeeded";
  } catch (const TempFailError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_TRUE(victim.is_bad());
}

TEST_F(PgTest, TransactionOnLostConnectionDestructsQuietly) {
  Connection victim = connect();
  Connection killer = connect();
  EXPECT_THROW(
      {
        Transaction tx(victim);
        killer.exec_params("SELECT pg_terminate_backend($1::int4, 10000)",
                           {Param::int64(victim.backend_pid())});
        victim.exec("SELECT 1");
      },
      TempFailError);
}

// --- exec / params ----------------------------------------------------------

TEST_F(PgTest, Int64ExtremesRoundTrip) {
  Connection c = connect();
  const auto lo = std::numeric_limits<std::int64_t>::min();
  const auto hi = std::numeric_limits<std::int64_t>::max();
  const std::vector<Param> ps = {Param::int64(lo), Param::int64(hi), Param::int64(-1)};
  for (Format f : {Format::kText, Format::kBinary}) {
    const Result r = c.exec_params("SELECT $1, $2, $3, $3::int4, $3::int2", ps, f);
    EXPECT_EQ(r.get_int64(0, 0), lo);
    EXPECT_EQ(r.get_int64(0, 1), hi);
    EXPECT_EQ(r.get_int64(0, 2), -1);
    EXPECT_EQ(r.get_int64(0, 3), -1);
    EXPECT_EQ(r.get_int64(0, 4), -1);
    EXPECT_EQ(r.field_type(0), Param::kInt8Oid);
  }
  EXPECT_THROW(c.exec("SELECT 'x'::text").get_int64(0, 0), RuntimeError);
  EXPECT_THROW(c.exec("SELECT NULL::int8").get_int64(0, 0), RuntimeError);
}

TEST_F(PgTest, ByteaRoundTripsEveryByte) {
  Connection c = connect();
  c.exec("CREATE TABLE t (b bytea)");
  const std::string bytes = all_bytes();
  c.exec_params("INSERT INTO t VALUES ($1)", {Param::bytes(bytes)});
  const Result bin = c.exec_params("SELECT b FROM t", {}, Format::kBinary);
  EXPECT_EQ(bin.get(0, 0), bytes);
  EXPECT_EQ(bin.field_type(0), Param::kByteaOid);
  EXPECT_EQ(bin.field_name(0), "b");
  const Result txt = c.exec("SELECT b FROM t");
  EXPECT_EQ(txt.get(0, 0).substr(0, 8), "\\x000102");
}

TEST_F(PgTest, NullIsNotEmpty) {
  Connection c = connect();
  const Result r = c.exec_params("SELECT $1::text IS NULL, $2::text IS NULL, length($2), $1, $2",
                                 {Param::null(), Param::text("")});
  EXPECT_EQ(r.get(0, 0), "t");
  EXPECT_EQ(r.get(0, 1), "f");
  EXPECT_EQ(r.get(0, 2), "0");
  EXPECT_TRUE(r.is_null(0, 3));
  EXPECT_FALSE(r.is_null(0, 4));
  EXPECT_EQ(r.get(0, 4), "");
}

TEST_F(PgTest, TextParamsArePassedVerbatim) {
  Connection c = connect();
  const std::string text = tricky_text();
  const Result r = c.exec_params("SELECT $1::text, $2::jsonb ->> 'k'",
                                 {Param::text(text), Param::text(R"({"k": "v'); DROP"})")});
  EXPECT_EQ(r.get(0, 0), text);
  EXPECT_EQ(r.get(0, 1), "v'); DROP");
  EXPECT_EQ(r.ntuples(), 1);
  EXPECT_EQ(r.nfields(), 2);
}

TEST_F(PgTest, FailedCommandIsDbErrorOnOneLine) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8 PRIMARY KEY)");
  c.exec("INSERT INTO t VALUES (1)");
  try {
    c.exec("INSERT INTO t VALUES (1)");
    FAIL() << "duplicate key accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_TRUE(e.is_unique_violation());
    EXPECT_FALSE(e.is_serialization_failure());
    EXPECT_NE(e.detail().find("Key (id)=(1)"), std::string::npos) << e.detail();
    EXPECT_NE(std::string(e.what()).find("SQLSTATE 23505"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), exit_code::kError);
  }
  EXPECT_THROW(c.exec("SELEC 1"), DbError);
  EXPECT_EQ(count(c, "t"), 1);  // still usable
}

TEST_F(PgTest, QuoteIdent) {
  Connection c = connect();
  EXPECT_EQ(c.quote_ident("user"), "\"user\"");
  EXPECT_EQ(c.quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(c.quote_qualified("s", "group"), "\"s\".\"group\"");
  EXPECT_THROW(c.quote_ident(std::string("a\0b", 3)), InputError);
  EXPECT_THROW(c.quote_ident("\xff\xfe"), InputError);
  c.exec("CREATE TABLE {} ({} text)", c.quote_ident("user"), c.quote_ident("gr\"oup"));
  EXPECT_EQ(count(c, "user"), 0);
}

// --- transactions -----------------------------------------------------------

TEST_F(PgTest, TransactionRollsBackOnException) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8)");
  try {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (1)");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(count(c, "t"), 0);
  {
    Transaction tx(c, Isolation::kRepeatableRead);
    c.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(count(c, "t"), 1);
}

TEST_F(PgTest, CommitOfFailedTransactionThrows) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8)");
  Transaction tx(c);
  c.exec("INSERT INTO t VALUES (1)");
  EXPECT_THROW(c.exec("SELECT 1/0"), DbError);
  EXPECT_THROW(tx.commit(), DbError);
  EXPECT_EQ(count(c, "t"), 0);
}

TEST_F(PgTest, SetLocalLastsOneTransaction) {
  Connection c = connect();
  {
    Transaction tx(c);
    tx.set_local("syncpipe.host_id", "node-a");
    EXPECT_EQ(c.exec("SELECT current_setting('syncpipe.host_id')").get(0, 0), "node-a");
    tx.commit();
  }
  EXPECT_EQ(c.exec("SELECT coalesce(current_setting('syncpipe.host_id', true), '')").get(0, 0), "");
}

TEST_F(PgTest, SerializationFailureIsRecognised) {
  Connection a = connect();
  Connection b = connect();
  a.exec("CREATE TABLE t (id int8 PRIMARY KEY, v int8)");
  a.exec("INSERT INTO t VALUES (1, 0)");
  Transaction tx(a, Isolation::kRepeatableRead);
  a.exec("SELECT v FROM t");
  b.exec("UPDATE t SET v = 1");
  try {
    a.exec("UPDATE t SET v = 2");
    FAIL() << "no serialization failure";
  } catch (const DbError& e) {
    EXPECT_TRUE(e.is_serialization_failure()) << e.what();
  }
}

// --- COPY -------------------------------------------------------------------

TEST(CopyText, EscapesAndDecodes) {
  std::string buf;
  copy_text::append_field(buf, "a\\b\tc\nd\re");
  EXPECT_EQ(buf, "a\\\\b\\tc\\nd\\re");
  EXPECT_EQ(copy_text::decode_field(buf), "a\\b\tc\nd\re");
  EXPECT_EQ(copy_text::decode_field("\\101\\x41\\b\\v\\f\\q"), "AA\b\v\fq");
  std::string bytea;
  copy_text::append_bytea_hex(bytea, std::string("\0\xff", 2));
  EXPECT_EQ(bytea, "\\\\x00ff");
  std::vector<std::optional<std::string>> row;
  copy_text::split_row("1\t\\N\t\t\\\\N\n", row);
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row[0], "1");
  EXPECT_EQ(row[1], std::nullopt);
  EXPECT_EQ(row[2], "");
  EXPECT_EQ(row[3], "\\N");
}

// The escape scan looks at 8 bytes at a time: every byte value (but NUL),
// at every offset of a long field, must come back unchanged; the control
// bytes next to TAB, LF and CR (which the word test also flags) stay raw.
TEST(CopyText, EveryByteAtEveryOffsetRoundTrips) {
  for (int c = 1; c < 256; ++c) {
    for (std::size_t at = 0; at < 24; ++at) {
      std::string field(24, 'x');
      field[at] = static_cast<char>(c);
      field += std::string(9, static_cast<char>(0x80 + at));  // bytes >= 0x80 never need an escape
      std::string buf;
      copy_text::append_field(buf, field);
      ASSERT_EQ(copy_text::decode_field(buf), field) << "byte " << c << " at " << at;
      const bool escaped = c == '\\' || c == '\t' || c == '\n' || c == '\r';
      ASSERT_EQ(buf.size(), field.size() + (escaped ? 1 : 0)) << "byte " << c << " at " << at;
    }
  }
}

TEST_F(PgTest, BinaryArraysArriveElementForElement) {
  Connection c = connect();
  BinaryArray text(Param::kTextOid), bytes(Param::kByteaOid), empty(Param::kByteaOid);
  for (const char* s : {"a", "", "\xc3\xbc", "tab\there"}) text.add(s);
  bytes.add(std::string("\0\xff", 2));
  bytes.add_null();
  ASSERT_EQ(text.size(), 4u);
  const Result r = c.exec_params(
      "SELECT $1::text[] = ARRAY['a', '', U&'\\00fc', E'tab\\there'], encode(($2::bytea[])[1], 'hex'), "
      "($2::bytea[])[2] IS NULL, cardinality($2::bytea[]), cardinality($3::bytea[])",
      {text.param(), bytes.param(), empty.param()});
  EXPECT_EQ(r.get(0, 0), "t");
  EXPECT_EQ(r.get(0, 1), "00ff");
  EXPECT_EQ(r.get(0, 2), "t");
  EXPECT_EQ(r.get(0, 3), "2");
  EXPECT_EQ(r.get(0, 4), "0");
  text.clear();
  EXPECT_EQ(text.size(), 0u);
}

TEST_F(PgTest, CopyOutStoppedEarlyLeavesConnectionUsable) {
  Connection c = connect();
  {
    CopyOut out(c, "COPY (SELECT g, repeat('z', 1000) FROM generate_series(1, 100000) g) TO STDOUT");
    std::string_view line;
    ASSERT_TRUE(out.next(line));
    EXPECT_EQ(line.substr(0, 2), "1\t");
  }
  EXPECT_EQ(c.exec("SELECT 42").get_int64(0, 0), 42);
  EXPECT_THROW(CopyOut(c, "SELECT 1"), RuntimeError);
  EXPECT_EQ(c.exec("SELECT 43").get_int64(0, 0), 43);
}

class CopyTest : public PgTest, public ::testing::WithParamInterface<Format> {};

TEST_P(CopyTest, EveryEscapeRoundTrips) {
  Connection c = connect();
  c.exec("CREATE SCHEMA {}", c.quote_ident("Tenant A"));
  c.exec("CREATE TABLE {} (id int8, t text, b bytea, {} text)",
         c.quote_qualified("Tenant A", "user"), c.quote_ident("group"));
  const std::vector<std::string> values = {tricky_text(), "", "\\N", "\\", "\t", "\n", "\r\n",
                                           "x\\"};
  {
    CopyIn copy(c, "Tenant A", "user", {"id", "t", "b", "group"}, GetParam());
    for (std::size_t i = 0; i < values.size(); ++i) {
      copy.add_int64(static_cast<std::int64_t>(i) - 3);
      copy.add_text(values[i]);
      copy.add_bytes(all_bytes());
      copy.add_null();
      copy.end_row();
    }
    EXPECT_EQ(copy.finish(), static_cast<std::int64_t>(values.size()));
  }
  const Result r = c.exec_params(
      "SELECT id, t, b, \"group\" IS NULL FROM \"Tenant A\".\"user\" ORDER BY id", {},
      Format::kBinary);
  ASSERT_EQ(r.ntuples(), static_cast<int>(values.size()));
  for (int i = 0; i < r.ntuples(); ++i) {
    EXPECT_EQ(r.get_int64(i, 0), i - 3);
    EXPECT_EQ(r.get(i, 1), values[i]) << "row " << i;
    EXPECT_EQ(r.get(i, 2), all_bytes());
    EXPECT_EQ(r.get(i, 3), std::string(1, '\1'));  // binary bool true
  }
  // And back out through COPY TO STDOUT.
  CopyOut out(c, "COPY (SELECT t, NULL FROM \"Tenant A\".\"user\" ORDER BY id) TO STDOUT");
  std::string_view line;
  std::vector<std::optional<std::string>> row;
  for (const auto& v : values) {
    ASSERT_TRUE(out.next(line));
    copy_text::split_row(line, row);
    ASSERT_EQ(row.size(), 2u);
    EXPECT_EQ(row[0], v);
    EXPECT_EQ(row[1], std::nullopt);
  }
  EXPECT_FALSE(out.next(line));
}

TEST_P(CopyTest, ThirtyMegabyteField) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8, t text)");
  std::string big;
  big.reserve(30u << 20);
  while (big.size() < (30u << 20)) big += "chat \\ \"msg\"\t\n\r{\"k\":[1,2]} \xc3\xa9.";
  {
    CopyIn copy(c, "", "t", {}, GetParam());
    copy.add_int64(1);
    copy.add_text(big);
    copy.end_row();
    copy.add_int64(2);
    copy.add_text("small");
    copy.end_row();
    EXPECT_EQ(copy.finish(), 2);
  }
  const Result r = c.exec("SELECT t FROM t ORDER BY id");
  EXPECT_TRUE(r.get(0, 0) == big) << "30 MB value changed";
  EXPECT_EQ(r.get(1, 0), "small");
}

TEST_P(CopyTest, AbandonedCopyWritesNothing) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8, t text)");
  const std::string filler(1 << 20, 'x');
  {
    CopyIn copy(c, "", "t", {"id", "t"}, GetParam());
    for (int i = 0; i < 20; ++i) {  // > kChunkBytes, so some of it was sent
      copy.add_int64(i);
      copy.add_text(filler);
      copy.end_row();
    }
  }
  EXPECT_EQ(count(c, "t"), 0);
  {
    CopyIn copy(c, "", "t", {"id", "t"}, GetParam());
    copy.add_int64(1);
    copy.add_null();
    copy.end_row();
    copy.abort("test abort");
  }
  EXPECT_EQ(count(c, "t"), 0);
}

TEST_P(CopyTest, BadDataFailsAndLeavesConnectionUsable) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8 NOT NULL)");
  CopyIn copy(c, "", "t", {"id"}, GetParam());
  copy.add_int64(1);
  copy.end_row();
  copy.add_null();
  copy.end_row();
  try {
    copy.finish();
    FAIL() << "NULL accepted into a NOT NULL column";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "23502") << e.what();
  }
  EXPECT_EQ(count(c, "t"), 0);
}

TEST_P(CopyTest, ErrorEarlyInALongCopy) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8 NOT NULL, t text)");
  const std::string filler(1 << 20, 'y');
  try {
    Transaction tx(c);
    CopyIn copy(c, "", "t", {"id", "t"}, GetParam());
    copy.add_null();  // refused by the server while we keep sending
    copy.add_text("x");
    copy.end_row();
    for (int i = 0; i < 40; ++i) {
      copy.add_int64(i);
      copy.add_text(filler);
      copy.end_row();
    }
    copy.finish();
    FAIL() << "NULL accepted into a NOT NULL column";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "23502") << e.what();
  }
  EXPECT_EQ(count(c, "t"), 0);
}

INSTANTIATE_TEST_SUITE_P(Formats, CopyTest, ::testing::Values(Format::kText, Format::kBinary),
                         [](const auto& info) {
                           return info.param == Format::kText ? "Text" : "Binary";
                         });

}  // namespace
}  // namespace syncpipe::pg
