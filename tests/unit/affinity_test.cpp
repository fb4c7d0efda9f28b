// lib/core/affinity: the storage class SQLite gives a value in a column of
// each affinity, checked against SQLite itself (an in-memory table with one
// column per affinity), so restore writes what Open WebUI's SQLite wrote.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/affinity.hpp"
#include "sqlite/database.hpp"
#include "sqlite/statement.hpp"

using namespace syncpipe;

namespace {

// What SQLite stores for v in a column declared `decl`.
Value stored_by_sqlite(const std::string& decl, const Value& v) {
  auto db = sqlite::Database::open_readwrite(":memory:", true);
  db.exec("CREATE TABLE t (c " + decl + ")");
  sqlite::Statement ins(db, "INSERT INTO t VALUES (?1)");
  switch (v.kind) {
    case Kind::Integer: ins.bind(1, v.i); break;
    case Kind::Real: ins.bind(1, v.r); break;
    case Kind::Text: ins.bind(1, std::string_view(v.s)); break;
    default: ins.bind_null(1);
  }
  ins.step();
  sqlite::Statement sel(db, "SELECT c FROM t");
  EXPECT_TRUE(sel.step());
  auto c = sel.column(0);
  switch (c.type) {
    case sqlite::ColumnType::Integer: return Value::integer(c.i);
    case sqlite::ColumnType::Real: return Value::real(c.r);
    case sqlite::ColumnType::Text: return Value::text(std::string(c.bytes));
    default: return Value();
  }
}

std::string show(const Value& v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v.r, 8);
  switch (v.kind) {
    case Kind::Integer: return "integer " + std::to_string(v.i);
    case Kind::Real: return "real bits " + std::to_string(bits);
    case Kind::Text: return "text '" + v.s + "'";
    default: return "other";
  }
}

}  // namespace

TEST(Affinity, DeclaredTypesFollowSqlitesRules) {
  EXPECT_EQ(affinity_of("BIGINT"), Affinity::Integer);
  EXPECT_EQ(affinity_of("VARCHAR(255)"), Affinity::Text);
  EXPECT_EQ(affinity_of("JSON"), Affinity::Numeric);
  EXPECT_EQ(affinity_of("DATETIME"), Affinity::Numeric);
  EXPECT_EQ(affinity_of("BOOLEAN"), Affinity::Numeric);
  EXPECT_EQ(affinity_of("DATE"), Affinity::Numeric);
  EXPECT_EQ(affinity_of(""), Affinity::Blob);
  EXPECT_EQ(affinity_of("blob"), Affinity::Blob);
  EXPECT_EQ(affinity_of("DOUBLE PRECISION"), Affinity::Real);
  EXPECT_EQ(affinity_of("FLOATING POINT"), Affinity::Integer);  // "INT" wins, as in SQLite
}

TEST(Affinity, SameStorageClassAsSqlite) {
  using L = std::numeric_limits<double>;
  const std::vector<Value> values = {
      Value::text("123"), Value::text(" 12 "), Value::text("+5"), Value::text("-0"), Value::text("1.5"),
      Value::text("1e5"), Value::text("3.0e+5"), Value::text("1e"), Value::text(".5"), Value::text("5."),
      Value::text("abc"), Value::text(""), Value::text("0x10"), Value::text("9223372036854775807"),
      Value::text("9223372036854775808"), Value::text("-9223372036854775808"), Value::text("12abc"),
      Value::text("1 2"), Value::text("0.1"), Value::text("1e+300"), Value::text("00012"), Value::text("inf"),
      Value::text("null"), Value::text("{\"a\": 1}"), Value::text("2024-01-31"), Value::text("-"),
      Value::text("1e400"), Value::text("-1e400"), Value::text("1e-400"), Value::text("  "), Value::text("\t5\n"),
      Value::text("2024-01-31 10:00:00"), Value::text("1.0"), Value::text("0.30000000000000004"),
      Value::real(-0.0), Value::real(5.0), Value::real(0.5), Value::real(1e18), Value::real(9.3e18),
      Value::real(L::infinity()), Value::real(-L::infinity()), Value::real(L::denorm_min()),
      Value::integer(5), Value::integer(std::numeric_limits<std::int64_t>::max()), Value::integer(0)};
  for (const char* decl : {"INTEGER", "JSON", "REAL", "", "TEXT"}) {
    for (const auto& v : values) {
      if (std::string(decl) == "TEXT" && v.kind != Kind::Text) continue;  // never a PostgreSQL image there
      Value ours = v;
      apply_affinity(ours, affinity_of(decl));
      Value theirs = stored_by_sqlite(decl, v);
      bool same = ours.kind == theirs.kind &&
                  (ours.kind != Kind::Real || std::memcmp(&ours.r, &theirs.r, 8) == 0) &&
                  (ours.kind != Kind::Integer || ours.i == theirs.i) && (ours.kind != Kind::Text || ours.s == theirs.s);
      EXPECT_TRUE(same) << "declared '" << decl << "', value " << show(v) << ": ours " << show(ours) << ", SQLite's "
                        << show(theirs);
    }
  }
}

TEST(Affinity, AlternativesOfAColumnWithoutAffinity) {
  EXPECT_TRUE(ambiguous(Affinity::Blob, PgType::Double));
  EXPECT_FALSE(ambiguous(Affinity::Numeric, PgType::Text));
  auto a = alternatives(Value::real(5.0), PgType::Double);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], Value::integer(5));
  EXPECT_TRUE(alternatives(Value::real(-0.0), PgType::Double).size() == 1);  // integer 0
  EXPECT_TRUE(alternatives(Value::real(0.5), PgType::Double).empty());
  a = alternatives(Value::text("42"), PgType::Text);  // INTEGER 42, or REAL 42.0 written as "42"
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], Value::integer(42));
  EXPECT_EQ(a[1], Value::real(42.0));
  a = alternatives(Value::text("-0"), PgType::Text);  // REAL -0.0 written as "-0"
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Kind::Real);
  EXPECT_TRUE(std::signbit(a[0].r));
  a = alternatives(Value::text("0.1"), PgType::Json);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], Value::real(0.1));
  EXPECT_TRUE(alternatives(Value::text("042"), PgType::Text).empty());
  a = alternatives(Value::blob("ab"), PgType::Bytea);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], Value::text("ab"));
}
