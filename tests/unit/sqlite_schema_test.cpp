// Schema introspection: hostile names, composite keys, peewee-style tables
// without a primary key, expression/partial unique indexes, WITHOUT ROWID.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/statement.hpp"
#include "sqlite_test_util.hpp"

using namespace syncpipe::sqlite;
using syncpipe::test::SqliteTest;

namespace {

std::vector<std::string> names_of(const UniqueIndex& index) {
  std::vector<std::string> names;
  for (const IndexColumn& c : index.columns) names.push_back(c.name);
  return names;
}

}  // namespace

TEST_F(SqliteTest, HostileTableNames) {
  const std::string evil = "we\"ird; DROP TABLE x;\n--";
  Database db = Database::open_readwrite(path("h.db"), true);
  db.exec("CREATE TABLE x(a); CREATE TABLE \"user\"(id TEXT PRIMARY KEY);");
  db.exec("CREATE TABLE " + quote_identifier(evil) +
          "(\"co\"\"l\" VARCHAR(255) NOT NULL DEFAULT 'o''k', b)");
  EXPECT_EQ(list_tables(db), (std::vector<std::string>{"user", evil, "x"}));

  std::vector<Column> cols = table_columns(db, evil);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].name, "co\"l");
  EXPECT_EQ(cols[0].declared_type, "VARCHAR(255)");
  EXPECT_TRUE(cols[0].notnull);
  EXPECT_EQ(cols[0].default_value, "'o''k'");
  EXPECT_EQ(cols[1].declared_type, "");
  EXPECT_FALSE(cols[1].default_value.has_value());
  EXPECT_TRUE(unique_indexes(db, evil).empty());
  EXPECT_TRUE(has_rowid(db, evil));
  EXPECT_EQ(list_tables(db).size(), 3u);  // x still there
  EXPECT_TRUE(table_columns(db, "no such table").empty());
}

TEST_F(SqliteTest, CompositePrimaryKeyPositions) {
  Database db = Database::open_readwrite(path("pk.db"), true);
  db.exec(
      "CREATE TABLE folder(id TEXT NOT NULL, parent_id TEXT, user_id TEXT NOT NULL,"
      " PRIMARY KEY (user_id, id))");
  std::vector<Column> cols = table_columns(db, "folder");
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[0].pk, 2);
  EXPECT_EQ(cols[1].pk, 0);
  EXPECT_EQ(cols[2].pk, 1);
  std::vector<UniqueIndex> idx = unique_indexes(db, "folder");
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx[0].origin, "pk");
  EXPECT_EQ(names_of(idx[0]), (std::vector<std::string>{"user_id", "id"}));
}

TEST_F(SqliteTest, PeeweeTableWithoutPrimaryKey) {
  Database db = Database::open_readwrite(path("pw.db"), true);
  db.exec(
      "CREATE TABLE \"chat\" (\"id\" VARCHAR(255) NOT NULL, \"title\" TEXT NOT NULL);"
      "CREATE UNIQUE INDEX \"chat_id\" ON \"chat\" (\"id\");");
  for (const Column& c : table_columns(db, "chat")) EXPECT_EQ(c.pk, 0) << c.name;
  std::vector<UniqueIndex> idx = unique_indexes(db, "chat");
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx[0].name, "chat_id");
  EXPECT_EQ(idx[0].origin, "c");
  EXPECT_FALSE(idx[0].partial);
  EXPECT_FALSE(idx[0].has_expression());
  EXPECT_EQ(names_of(idx[0]), std::vector<std::string>{"id"});
  EXPECT_TRUE(has_rowid(db, "chat"));
}

TEST_F(SqliteTest, ExpressionPartialAndConstraintIndexes) {
  Database db = Database::open_readwrite(path("u.db"), true);
  db.exec(
      "CREATE TABLE \"user\"(id VARCHAR NOT NULL, email VARCHAR, n INT, PRIMARY KEY (id),"
      " CONSTRAINT uq_n UNIQUE (n, id DESC));"
      "CREATE UNIQUE INDEX uq_user_email_lower ON \"user\" (lower(email)) WHERE email IS NOT "
      "NULL;");
  std::vector<UniqueIndex> idx = unique_indexes(db, "user");
  ASSERT_EQ(idx.size(), 3u);
  EXPECT_EQ(idx[0].origin, "pk");
  EXPECT_EQ(names_of(idx[0]), std::vector<std::string>{"id"});
  const UniqueIndex* expr = nullptr;
  const UniqueIndex* uq = nullptr;
  for (const UniqueIndex& i : idx) {
    if (i.name == "uq_user_email_lower") expr = &i;
    if (i.origin == "u") uq = &i;
  }
  ASSERT_NE(expr, nullptr);
  EXPECT_TRUE(expr->partial);
  EXPECT_TRUE(expr->has_expression());
  ASSERT_NE(uq, nullptr);
  EXPECT_EQ(names_of(*uq), (std::vector<std::string>{"n", "id"}));
  EXPECT_TRUE(uq->columns[1].desc);
}

TEST_F(SqliteTest, IntegerPrimaryKeyAndWithoutRowid) {
  Database db = Database::open_readwrite(path("r.db"), true);
  db.exec(
      "CREATE TABLE a(id INTEGER PRIMARY KEY, v);"
      "CREATE TABLE b(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
      "CREATE TABLE g(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL);");
  EXPECT_TRUE(has_rowid(db, "a"));
  EXPECT_TRUE(unique_indexes(db, "a").empty());  // a rowid alias has no index
  EXPECT_FALSE(has_rowid(db, "b"));
  ASSERT_EQ(unique_indexes(db, "b").size(), 1u);
  std::vector<Column> g = table_columns(db, "g");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].hidden, 2);
}

TEST(SqliteQuote, DoublesQuotes) {
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("group"), "\"group\"");
}
