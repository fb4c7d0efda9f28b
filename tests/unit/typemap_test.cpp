// lib/core/typemap: every rule it holds (DESIGN.md, "Target tables"). Each
// expectation names one rule; changing the rule fails it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/typemap.hpp"
#include "pg/copy_format.hpp"

namespace syncpipe {
namespace {

constexpr std::int64_t k2p53 = std::int64_t{1} << 53;  // the largest span a double holds exactly

std::optional<std::string> why(const Value& v, PgType t) { return check_target(v, t); }
Value image(const Value& v, PgType t) {
  Value out;
  auto reason = to_target(v, t, out);
  EXPECT_FALSE(reason) << *reason;
  return out;
}
ClassStats seen(std::initializer_list<Value> values) {
  ClassStats s;
  for (const auto& v : values) s.add(v);
  return s;
}
std::string copy_text(const Value& v, PgType t) {
  std::string out;
  pg::copy_text::append_value(out, v, t);
  return out;
}
bool negative_zero(const Value& v) { return v.kind == Kind::Real && v.r == 0 && std::signbit(v.r); }

const PgType kAll[] = {PgType::Bigint, PgType::Double, PgType::Boolean, PgType::Text, PgType::Json, PgType::Bytea};

TEST(TypemapNames, EachTypeHasItsSqlSpellingAndParsesBack) {
  EXPECT_STREQ(pg_type_name(PgType::Bigint), "bigint");
  EXPECT_STREQ(pg_type_name(PgType::Double), "double precision");
  EXPECT_STREQ(pg_type_name(PgType::Boolean), "boolean");
  EXPECT_STREQ(pg_type_name(PgType::Text), "text");
  EXPECT_STREQ(pg_type_name(PgType::Json), "json");
  EXPECT_STREQ(pg_type_name(PgType::Bytea), "bytea");
  for (auto t : kAll) EXPECT_EQ(parse_pg_type(pg_type_name(t)), t);
}

TEST(TypemapNames, OtherSpellingsAreNotTypesWeCreate) {
  EXPECT_EQ(parse_pg_type("integer"), std::nullopt);
  EXPECT_EQ(parse_pg_type("jsonb"), std::nullopt);
  EXPECT_EQ(parse_pg_type("TEXT"), std::nullopt);
  EXPECT_EQ(parse_pg_type(""), std::nullopt);
}

TEST(TypemapClassStats, RecordsEachStorageClassAndTheLargestMagnitude) {
  ClassStats s = seen({Value::null()});
  EXPECT_FALSE(s.integer || s.real || s.text || s.blob);
  s = seen({Value::integer(5), Value::integer(-7)});
  EXPECT_TRUE(s.integer);
  EXPECT_FALSE(s.real || s.text || s.blob);
  EXPECT_EQ(s.max_abs_int, 7);  // |negative| counts
  EXPECT_TRUE(seen({Value::real(1.5)}).real);
  EXPECT_TRUE(seen({Value::text("x")}).text);
  EXPECT_TRUE(seen({Value::blob("x")}).blob);
  // INT64_MIN has no positive counterpart: it saturates instead of overflowing
  EXPECT_EQ(seen({Value::integer(std::numeric_limits<std::int64_t>::min())}).max_abs_int,
            std::numeric_limits<std::int64_t>::max());
}

TEST(TypemapDeclared, SqliteAffinityWordsChooseTheType) {
  const ClassStats none;
  EXPECT_EQ(choose_pg_type("BOOLEAN", "x", none), PgType::Boolean);
  EXPECT_EQ(choose_pg_type("bool", "x", none), PgType::Boolean);  // case-insensitive
  EXPECT_EQ(choose_pg_type("INTEGER", "x", none), PgType::Bigint);
  EXPECT_EQ(choose_pg_type("BIGINT", "x", none), PgType::Bigint);
  EXPECT_EQ(choose_pg_type("POINT", "x", none), PgType::Bigint);  // "INT" anywhere, as SQLite reads it
  EXPECT_EQ(choose_pg_type("JSON", "x", none), PgType::Json);
  EXPECT_EQ(choose_pg_type("VARCHAR(255)", "x", none), PgType::Text);
  EXPECT_EQ(choose_pg_type("CLOB", "x", none), PgType::Text);
  EXPECT_EQ(choose_pg_type("text", "x", none), PgType::Text);
  EXPECT_EQ(choose_pg_type("BLOB", "x", none), PgType::Bytea);
  EXPECT_EQ(choose_pg_type("REAL", "x", none), PgType::Double);
  EXPECT_EQ(choose_pg_type("FLOAT", "x", none), PgType::Double);
  EXPECT_EQ(choose_pg_type("DOUBLE PRECISION", "x", none), PgType::Double);
}

TEST(TypemapDeclared, TheFirstMatchingWordWins) {
  const ClassStats none;
  EXPECT_EQ(choose_pg_type("BOOLINT", "x", none), PgType::Boolean);  // BOOL before INT
  EXPECT_EQ(choose_pg_type("CHARINT", "x", none), PgType::Bigint);   // INT before CHAR
  EXPECT_EQ(choose_pg_type("JSONTEXT", "x", none), PgType::Json);    // JSON before TEXT
  EXPECT_EQ(choose_pg_type("TEXTBLOB", "x", none), PgType::Text);    // TEXT before BLOB
  EXPECT_EQ(choose_pg_type("BLOBREAL", "x", none), PgType::Bytea);   // BLOB before REAL
}

TEST(TypemapDeclared, DeclaredTypesWinOverTheValuesSeen) {
  EXPECT_EQ(choose_pg_type("INTEGER", "x", seen({Value::text("a")})), PgType::Bigint);
  EXPECT_EQ(choose_pg_type("TEXT", "x", seen({Value::integer(1)})), PgType::Text);
  EXPECT_EQ(choose_pg_type("REAL", "x", seen({Value::text("a")})), PgType::Double);
}

TEST(TypemapDeclared, PeeweeIntegerBooleansByName) {
  const ClassStats ints = seen({Value::integer(0), Value::integer(1)});
  EXPECT_EQ(choose_pg_type("INTEGER", "active", ints), PgType::Boolean);
  EXPECT_EQ(choose_pg_type("INTEGER", "archived", ints), PgType::Boolean);
  EXPECT_EQ(choose_pg_type("INTEGER", "is_active", ints), PgType::Boolean);
  EXPECT_EQ(choose_pg_type("INTEGER", "has_x", ints), PgType::Boolean);
  EXPECT_EQ(choose_pg_type("INTEGER", "active", ClassStats{}), PgType::Boolean);
  // other names, and the prefix only at the start
  EXPECT_EQ(choose_pg_type("INTEGER", "inactive", ints), PgType::Bigint);
  EXPECT_EQ(choose_pg_type("INTEGER", "this_is_x", ints), PgType::Bigint);
  EXPECT_EQ(choose_pg_type("INTEGER", "Active", ints), PgType::Bigint);  // names are case-sensitive
  // text or real already in the column: a boolean would refuse it
  EXPECT_EQ(choose_pg_type("INTEGER", "is_x", seen({Value::text("yes")})), PgType::Bigint);
  EXPECT_EQ(choose_pg_type("INTEGER", "is_x", seen({Value::real(0.5)})), PgType::Bigint);
  // a blob does not stop it (it is quarantined either way)
  EXPECT_EQ(choose_pg_type("INTEGER", "is_x", seen({Value::blob("b")})), PgType::Boolean);
  // the name rule is for INTEGER only
  EXPECT_EQ(choose_pg_type("TEXT", "is_x", ints), PgType::Text);
}

TEST(TypemapDeclared, DateWithoutTimeIsKeptAsText) {
  EXPECT_EQ(choose_pg_type("DATE", "d", seen({Value::integer(1)})), PgType::Text);
  EXPECT_EQ(choose_pg_type("date", "d", ClassStats{}), PgType::Text);
}

TEST(TypemapByValues, UndeclaredTypesAreDecidedByTheData) {
  for (const char* decl : {"DATETIME", "NUMERIC", "DECIMAL(10,2)", "", "TIMESTAMP"}) {
    SCOPED_TRACE(decl);
    EXPECT_EQ(choose_pg_type(decl, "x", ClassStats{}), PgType::Text);  // nothing seen: text holds anything
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::integer(1)})), PgType::Bigint);
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::real(1.5)})), PgType::Double);
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::blob("b")})), PgType::Bytea);
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::text("t")})), PgType::Text);
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::blob("b"), Value::integer(1)})), PgType::Text);
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::blob("b"), Value::real(1)})), PgType::Text);
    EXPECT_EQ(choose_pg_type(decl, "x", seen({Value::text("t"), Value::integer(1)})), PgType::Text);
  }
  // a boolean name does not matter without INT in the declared type
  EXPECT_EQ(choose_pg_type("NUMERIC", "is_x", seen({Value::integer(1)})), PgType::Bigint);
}

TEST(TypemapByValues, RealsWithIntegersBeyondTwoTo53StayText) {
  // up to 2^53 every integer is exact in a double
  EXPECT_EQ(choose_pg_type("NUMERIC", "x", seen({Value::real(0.5), Value::integer(k2p53)})), PgType::Double);
  EXPECT_EQ(choose_pg_type("NUMERIC", "x", seen({Value::real(0.5), Value::integer(-k2p53)})), PgType::Double);
  // one more would be rounded: text keeps both classes exactly
  EXPECT_EQ(choose_pg_type("NUMERIC", "x", seen({Value::real(0.5), Value::integer(k2p53 + 1)})), PgType::Text);
  EXPECT_EQ(choose_pg_type("NUMERIC", "x", seen({Value::real(0.5), Value::integer(-k2p53 - 1)})), PgType::Text);
  // integers alone are bigint at any size (nanosecond timestamps)
  EXPECT_EQ(choose_pg_type("NUMERIC", "x", seen({Value::integer(k2p53 + 1)})), PgType::Bigint);
}

TEST(TypemapQuarantine, NullFitsEveryType) {
  for (auto t : kAll) {
    EXPECT_EQ(why(Value::null(), t), std::nullopt) << pg_type_name(t);
    EXPECT_TRUE(same_image(Value::null(), t));
  }
}

TEST(TypemapQuarantine, BigintHoldsOnlyIntegers) {
  EXPECT_EQ(why(Value::integer(std::numeric_limits<std::int64_t>::min()), PgType::Bigint), std::nullopt);
  EXPECT_EQ(why(Value::integer(std::numeric_limits<std::int64_t>::max()), PgType::Bigint), std::nullopt);
  EXPECT_EQ(why(Value::real(1.0), PgType::Bigint), "REAL value in a bigint column");
  EXPECT_EQ(why(Value::text("1"), PgType::Bigint), "TEXT value in a bigint column");
  EXPECT_EQ(why(Value::blob("1"), PgType::Bigint), "BLOB value in a bigint column");
}

TEST(TypemapQuarantine, DoubleTakesIntegersOnlyUpToTwoTo53) {
  EXPECT_EQ(why(Value::real(-0.0), PgType::Double), std::nullopt);
  EXPECT_EQ(why(Value::real(INFINITY), PgType::Double), std::nullopt);
  EXPECT_EQ(why(Value::integer(k2p53), PgType::Double), std::nullopt);
  EXPECT_EQ(why(Value::integer(-k2p53), PgType::Double), std::nullopt);
  EXPECT_EQ(why(Value::integer(k2p53 + 1), PgType::Double), "INTEGER value in a double precision column");
  EXPECT_EQ(why(Value::integer(-k2p53 - 1), PgType::Double), "INTEGER value in a double precision column");
  EXPECT_EQ(why(Value::text("1.5"), PgType::Double), "TEXT value in a double precision column");
  EXPECT_EQ(why(Value::blob("x"), PgType::Double), "BLOB value in a double precision column");
}

TEST(TypemapQuarantine, BooleanTakesZeroAndOneOnly) {
  EXPECT_EQ(why(Value::integer(0), PgType::Boolean), std::nullopt);
  EXPECT_EQ(why(Value::integer(1), PgType::Boolean), std::nullopt);
  EXPECT_EQ(why(Value::integer(2), PgType::Boolean), "integer 2 in a boolean column");
  EXPECT_EQ(why(Value::integer(-1), PgType::Boolean), "integer -1 in a boolean column");
  EXPECT_EQ(why(Value::real(1.0), PgType::Boolean), "REAL value in a boolean column");
  EXPECT_EQ(why(Value::text("t"), PgType::Boolean), "TEXT value in a boolean column");
  EXPECT_EQ(why(Value::blob("\x01"), PgType::Boolean), "BLOB value in a boolean column");
}

TEST(TypemapQuarantine, ByteaTakesBlobsAndAnyTextBytes) {
  EXPECT_EQ(why(Value::blob(std::string("\0\xff", 2)), PgType::Bytea), std::nullopt);
  EXPECT_EQ(why(Value::text(std::string("a\0\xff", 3)), PgType::Bytea), std::nullopt);  // no UTF-8 or NUL rule
  EXPECT_EQ(why(Value::integer(1), PgType::Bytea), "INTEGER value in a bytea column");
  EXPECT_EQ(why(Value::real(1), PgType::Bytea), "REAL value in a bytea column");
}

TEST(TypemapQuarantine, TextRefusesBlobsNulBytesAndInvalidUtf8) {
  for (auto t : {PgType::Text, PgType::Json}) {
    SCOPED_TRACE(pg_type_name(t));
    EXPECT_EQ(why(Value::blob("{}"), t), std::string("BLOB value in a ") + pg_type_name(t) + " column");
    EXPECT_EQ(why(Value::text(std::string("\"a\0b\"", 5)), t), "NUL byte in text");
    EXPECT_EQ(why(Value::text("\"\xc3\x28\""), t), "text is not valid UTF-8");
    EXPECT_EQ(why(Value::text("\"\xed\xa0\x80\""), t), "text is not valid UTF-8");  // a lone surrogate
    EXPECT_EQ(why(Value::text("\"caf\xc3\xa9\""), t), std::nullopt);
  }
  // NUL is found before UTF-8 is looked at
  EXPECT_EQ(why(Value::text(std::string("\xff\0", 2)), PgType::Text), "NUL byte in text");
}

TEST(TypemapQuarantine, JsonColumnsAlsoNeedValidJson) {
  EXPECT_EQ(why(Value::text("not json"), PgType::Json), "not valid JSON");
  EXPECT_EQ(why(Value::text("{\"a\":"), PgType::Json), "not valid JSON");
  EXPECT_EQ(why(Value::text("not json"), PgType::Text), std::nullopt);
  EXPECT_EQ(why(Value::text("{\"a\":[1,2]}"), PgType::Json), std::nullopt);
  // numbers become their text, which is JSON...
  EXPECT_EQ(why(Value::integer(-12), PgType::Json), std::nullopt);
  EXPECT_EQ(why(Value::real(0.1), PgType::Json), std::nullopt);
  // ...except infinity, whose text is not
  EXPECT_EQ(why(Value::real(INFINITY), PgType::Json), "not valid JSON");
  EXPECT_EQ(why(Value::real(INFINITY), PgType::Text), std::nullopt);
}

TEST(TypemapImage, SameImageOnlyWhenTheClassIsTheColumnsOwn) {
  EXPECT_TRUE(same_image(Value::integer(1), PgType::Bigint));
  EXPECT_TRUE(same_image(Value::integer(1), PgType::Boolean));
  EXPECT_TRUE(same_image(Value::real(1), PgType::Double));
  EXPECT_TRUE(same_image(Value::text("x"), PgType::Text));
  EXPECT_TRUE(same_image(Value::text("1"), PgType::Json));
  EXPECT_TRUE(same_image(Value::blob("x"), PgType::Bytea));
  EXPECT_FALSE(same_image(Value::integer(1), PgType::Double));
  EXPECT_FALSE(same_image(Value::integer(1), PgType::Text));
  EXPECT_FALSE(same_image(Value::integer(1), PgType::Json));
  EXPECT_FALSE(same_image(Value::real(1), PgType::Text));
  EXPECT_FALSE(same_image(Value::text("x"), PgType::Bytea));
}

TEST(TypemapImage, ConversionsWhenTheClassDiffers) {
  EXPECT_EQ(image(Value::integer(k2p53), PgType::Double), Value::real(9007199254740992.0));
  EXPECT_EQ(image(Value::integer(-3), PgType::Double), Value::real(-3.0));
  EXPECT_EQ(image(Value::text(std::string("a\0", 2)), PgType::Bytea), Value::blob(std::string("a\0", 2)));
  EXPECT_EQ(image(Value::integer(std::numeric_limits<std::int64_t>::min()), PgType::Text),
            Value::text("-9223372036854775808"));
  EXPECT_EQ(image(Value::integer(42), PgType::Json), Value::text("42"));
  // reals become their shortest round-trip text
  EXPECT_EQ(image(Value::real(0.1), PgType::Text), Value::text("0.1"));
  EXPECT_EQ(image(Value::real(-0.0), PgType::Text), Value::text("-0"));
  EXPECT_EQ(image(Value::real(1e300), PgType::Json), Value::text("1e+300"));
  EXPECT_EQ(image(Value::real(INFINITY), PgType::Text), Value::text("inf"));
  // the column's own class passes unchanged, -0.0 included
  EXPECT_TRUE(negative_zero(image(Value::real(-0.0), PgType::Double)));
  EXPECT_EQ(image(Value::integer(1), PgType::Boolean), Value::integer(1));
}

TEST(TypemapImage, RefusedValueLeavesTheOutputAlone) {
  Value out = Value::text("untouched");
  EXPECT_EQ(to_target(Value::text("x"), PgType::Bigint, out), "TEXT value in a bigint column");
  EXPECT_EQ(out, Value::text("untouched"));
}

TEST(TypemapFromPg, ParsesEachTypesTextOutputIntoTheTargetImage) {
  EXPECT_EQ(from_pg_text("-9223372036854775808", PgType::Bigint),
            Value::integer(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(from_pg_text("0.1", PgType::Double), Value::real(0.1));
  EXPECT_EQ(from_pg_text("1e+300", PgType::Double), Value::real(1e300));
  EXPECT_TRUE(negative_zero(from_pg_text("-0", PgType::Double)));
  EXPECT_EQ(from_pg_text("Infinity", PgType::Double), Value::real(INFINITY));
  EXPECT_EQ(from_pg_text("-Infinity", PgType::Double), Value::real(-INFINITY));
  EXPECT_EQ(from_pg_text("t", PgType::Boolean), Value::integer(1));
  EXPECT_EQ(from_pg_text("f", PgType::Boolean), Value::integer(0));
  EXPECT_EQ(from_pg_text("\\x00ff", PgType::Bytea), Value::blob(std::string("\0\xff", 2)));
  EXPECT_EQ(from_pg_text("\\x", PgType::Bytea), Value::blob(""));
  EXPECT_EQ(from_pg_text("a\tb", PgType::Text), Value::text("a\tb"));
  EXPECT_EQ(from_pg_text("{\"a\": 1}", PgType::Json), Value::text("{\"a\": 1}"));  // byte-exact, not normalised
}

TEST(TypemapFromPg, MalformedOutputIsAnError) {
  EXPECT_THROW(from_pg_text("12x", PgType::Bigint), RuntimeError);
  EXPECT_THROW(from_pg_text("", PgType::Bigint), RuntimeError);
  EXPECT_THROW(from_pg_text("00ff", PgType::Bytea), RuntimeError);  // escape format, not hex
}

TEST(TypemapCopyText, EachClassInCopyTextFormat) {
  EXPECT_EQ(copy_text(Value::null(), PgType::Text), "\\N");
  EXPECT_EQ(copy_text(Value::integer(-5), PgType::Bigint), "-5");
  EXPECT_EQ(copy_text(Value::integer(1), PgType::Boolean), "t");
  EXPECT_EQ(copy_text(Value::integer(0), PgType::Boolean), "f");
  EXPECT_EQ(copy_text(Value::real(0.1), PgType::Double), "0.1");
  EXPECT_EQ(copy_text(Value::real(-0.0), PgType::Double), "-0");
  EXPECT_EQ(copy_text(Value::real(INFINITY), PgType::Double), "Infinity");
  EXPECT_EQ(copy_text(Value::real(-INFINITY), PgType::Double), "-Infinity");
  EXPECT_EQ(copy_text(Value::text("a\tb\\c\nd\re"), PgType::Text), "a\\tb\\\\c\\nd\\re");
  EXPECT_EQ(copy_text(Value::blob(std::string("\0\xff", 2)), PgType::Bytea), "\\\\x00ff");
}

TEST(TypemapCopyText, ImagesRoundTripThroughPostgresText) {
  // what COPY writes is what from_pg_text reads back, for the values that have no escapes
  for (const Value& v : {Value::integer(k2p53 + 1), Value::real(-0.0), Value::real(5e-324), Value::real(-INFINITY)}) {
    const PgType t = v.kind == Kind::Integer ? PgType::Bigint : PgType::Double;
    EXPECT_EQ(from_pg_text(copy_text(v, t), t), v) << copy_text(v, t);
  }
}

}  // namespace
}  // namespace syncpipe
