// lib/pg against a real PostgreSQL: the cluster the PG* variables point to
// (tests/run-all.sh starts one). Each test creates and drops its own
// database. An unreachable server makes every test FAIL, never skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
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
  // A login the server refuses is a configuration error (exit 1); a server that
  // cannot be reached is "retry later" (75). Neither message holds the password.
  const std::pair<std::string, int> cases[] = {
      {"host=127.0.0.1 port=" + port() + " user=no_such_user password=" + secret + " dbname=" + db_,
       exit_code::kError},
      {"host=127.0.0.1 port=1 user=x password=" + secret + " connect_timeout=5", exit_code::kTempFail},
      {"postgresql://x:" + secret + "@127.0.0.1:1/db?connect_timeout=5", exit_code::kTempFail},
  };
  for (const auto& [dsn, code] : cases) {
    try {
      Connection::open(dsn, "pg_test");
      ADD_FAILURE() << "connected with " << dsn;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find(secret), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(e.code(), code) << what;
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

// One row in COPY text form, built in the buffer as sync-load builds it.
void add_row(CopyIn& copy, const Row& row, const std::vector<PgType>& types) {
  std::string& buf = copy.text_buffer();
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) buf.push_back('\t');
    copy_text::append_value(buf, row[i], types[i]);
  }
  buf.push_back('\n');
  copy.rows_added(1);
}

TEST(CopyText, Escapes) {
  std::string buf;
  copy_text::append_field(buf, "a\\b\tc\nd\re");
  EXPECT_EQ(buf, "a\\\\b\\tc\\nd\\re");
  std::string bytea;
  copy_text::append_bytea_hex(bytea, std::string("\0\xff", 2));
  EXPECT_EQ(bytea, "\\\\x00ff");
  std::string row;
  copy_text::append_value(row, Value::null(), PgType::Text);
  copy_text::append_value(row, Value::integer(1), PgType::Boolean);
  copy_text::append_value(row, Value::integer(-7), PgType::Bigint);
  copy_text::append_value(row, Value::real(-INFINITY), PgType::Double);
  copy_text::append_value(row, Value::real(0.1), PgType::Double);
  copy_text::append_value(row, Value::blob("\x01"), PgType::Bytea);
  EXPECT_EQ(row, "\\Nt-7-Infinity0.1\\\\x01");
}

// Reverses copy_text::append_field (the escapes it writes: \\ \t \n \r).
std::string decode_field(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c == '\\' && i + 1 < field.size()) {
      c = field[++i];
      c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
    }
    out.push_back(c);
  }
  return out;
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
      ASSERT_EQ(decode_field(buf), field) << "byte " << c << " at " << at;
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

TEST_F(PgTest, CopyEveryEscapeRoundTrips) {
  Connection c = connect();
  c.exec("CREATE SCHEMA {}", c.quote_ident("Tenant A"));
  c.exec("CREATE TABLE {} (id int8, t text, b bytea, {} text)",
         c.quote_qualified("Tenant A", "user"), c.quote_ident("group"));
  const std::vector<std::string> values = {tricky_text(), "", "\\N", "\\", "\t", "\n", "\r\n",
                                           "x\\"};
  {
    CopyIn copy(c, "Tenant A", "user", {"id", "t", "b", "group"});
    for (std::size_t i = 0; i < values.size(); ++i)
      add_row(copy,
              {Value::integer(static_cast<std::int64_t>(i) - 3), Value::text(values[i]), Value::blob(all_bytes()),
               Value::null()},
              {PgType::Bigint, PgType::Text, PgType::Bytea, PgType::Text});
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
}

const std::vector<PgType> kIdText = {PgType::Bigint, PgType::Text};

TEST_F(PgTest, CopyThirtyMegabyteField) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8, t text)");
  std::string big;
  big.reserve(30u << 20);
  while (big.size() < (30u << 20)) big += "chat \\ \"msg\"\t\n\r{\"k\":[1,2]} \xc3\xa9.";
  {
    CopyIn copy(c, "", "t", {});
    add_row(copy, {Value::integer(1), Value::text(big)}, kIdText);
    add_row(copy, {Value::integer(2), Value::text("small")}, kIdText);
    EXPECT_EQ(copy.finish(), 2);
  }
  const Result r = c.exec("SELECT t FROM t ORDER BY id");
  EXPECT_TRUE(r.get(0, 0) == big) << "30 MB value changed";
  EXPECT_EQ(r.get(1, 0), "small");
}

TEST_F(PgTest, CopyAbandonedWritesNothing) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8, t text)");
  const std::string filler(1 << 20, 'x');
  {
    CopyIn copy(c, "", "t", {"id", "t"});
    for (int i = 0; i < 20; ++i)  // > kChunkBytes, so some of it was sent
      add_row(copy, {Value::integer(i), Value::text(filler)}, kIdText);
  }
  EXPECT_EQ(count(c, "t"), 0);
  {
    CopyIn copy(c, "", "t", {"id", "t"});
    add_row(copy, {Value::integer(1), Value::null()}, kIdText);
    copy.abort("test abort");
  }
  EXPECT_EQ(count(c, "t"), 0);
}

TEST_F(PgTest, CopyBadDataFailsAndLeavesConnectionUsable) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8 NOT NULL)");
  CopyIn copy(c, "", "t", {"id"});
  add_row(copy, {Value::integer(1)}, {PgType::Bigint});
  add_row(copy, {Value::null()}, {PgType::Bigint});
  try {
    copy.finish();
    FAIL() << "NULL accepted into a NOT NULL column";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "23502") << e.what();
  }
  EXPECT_EQ(count(c, "t"), 0);
  EXPECT_EQ(c.exec("SELECT 42").get_int64(0, 0), 42);
}

TEST_F(PgTest, CopyErrorEarlyInALongCopy) {
  Connection c = connect();
  c.exec("CREATE TABLE t (id int8 NOT NULL, t text)");
  const std::string filler(1 << 20, 'y');
  try {
    Transaction tx(c);
    CopyIn copy(c, "", "t", {"id", "t"});
    add_row(copy, {Value::null(), Value::text("x")}, kIdText);  // refused by the server while we keep sending
    for (int i = 0; i < 40; ++i) add_row(copy, {Value::integer(i), Value::text(filler)}, kIdText);
    copy.finish();
    FAIL() << "NULL accepted into a NOT NULL column";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "23502") << e.what();
  }
  EXPECT_EQ(count(c, "t"), 0);
}

}  // namespace
}  // namespace syncpipe::pg
