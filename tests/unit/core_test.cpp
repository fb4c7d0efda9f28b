// lib/core: value equality, byte encodings and the canonical hashes of
// sync-protocol(7), HASHES. Golden hashes are computed here from the spec's
// byte layout with XXH3 directly, independently of CanonicalBuffer.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/value.hpp"

using namespace syncpipe;
using namespace std::string_literals;

namespace {

// The spec, written out: class byte + 8 bytes little-endian (+ bytes).
std::string le64(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string spec_int(std::int64_t v) { return "i" + le64(static_cast<std::uint64_t>(v)); }
std::string spec_real(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, 8);
  return "r" + le64(b);
}
std::string spec_text(const std::string& s) { return "t" + le64(s.size()) + s; }
std::string spec_blob(const std::string& s) { return "b" + le64(s.size()) + s; }
std::string spec_name(const std::string& n) { return n + '\0'; }

Hash128 xxh(const std::string& bytes) {
  auto h = XXH3_128bits(bytes.data(), bytes.size());
  return {h.high64, h.low64};
}

const std::vector<std::string> kNames = {"id", "n", "r", "s", "b"};

}  // namespace

TEST(Value, EqualityIsBitExactAndClassAware) {
  EXPECT_EQ(Value::real(0.0), Value::real(0.0));
  EXPECT_NE(Value::real(0.0), Value::real(-0.0));  // == on doubles would say equal
  EXPECT_NE(Value::integer(1), Value::real(1.0));
  EXPECT_NE(Value::text("1"), Value::integer(1));
  EXPECT_NE(Value::text("abc"), Value::blob("abc"));
  EXPECT_NE(Value::text(""), Value::null());
  EXPECT_NE(Value::text("null"), Value::null());
  EXPECT_EQ(Value::text("a\0b"s), Value::text("a\0b"s));
  EXPECT_NE(Value::text("a\0b"s), Value::text("a\0c"s));
  EXPECT_EQ(Value::null(), Value::null());
}

TEST(Encoding, HexRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(hex_encode("\x01\xab\xff"s), "01abff");
  EXPECT_EQ(hex_decode(hex_encode(all)), all);
  EXPECT_EQ(hex_decode("ABff"), "\xab\xff"s);
  EXPECT_THROW(hex_decode("abc"), InputError);
  EXPECT_THROW(hex_decode("zz"), InputError);
}

TEST(Encoding, Base64RoundTripEveryLengthAndByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(255 - i));
  for (std::size_t n = 0; n <= 7; ++n) {
    std::string out;
    base64_append(out, all.substr(0, n));
    EXPECT_EQ(out.size() % 4, 0u);
    EXPECT_EQ(base64_decode(out), all.substr(0, n)) << n;
  }
  std::string out;
  base64_append(out, all);
  EXPECT_EQ(base64_decode(out), all);
  std::string known;
  base64_append(known, "foobar");
  EXPECT_EQ(known, "Zm9vYmFy");
  known.clear();
  base64_append(known, "fo");
  EXPECT_EQ(known, "Zm8=");
}

TEST(Encoding, Base64RejectsGarbage) {
  EXPECT_THROW(base64_decode("abc"), InputError);       // length
  EXPECT_THROW(base64_decode("ab!d"), InputError);      // alphabet
  EXPECT_THROW(base64_decode("Zm8=Zm8="), InputError);  // padding inside
  EXPECT_THROW(base64_decode("Z==="), InputError);      // three pads
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Hash128, HexAndBytesRoundTrip) {
  Hash128 h{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(h.hex(), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(Hash128::from_hex(h.hex()), h);
  EXPECT_EQ(h.bytes(), "\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10"s);
  EXPECT_EQ(Hash128::from_bytes(h.bytes()), h);
  EXPECT_THROW(Hash128::from_hex("0123"), InputError);
  EXPECT_THROW(Hash128::from_hex(std::string(32, 'g')), InputError);
  EXPECT_THROW(Hash128::from_bytes("short"), InputError);
}

TEST(Hash, RowHashMatchesSpecBytes) {
  Row row{Value::text("abc"), Value::integer(-2), Value::real(0.5), Value::null(), Value::blob("\0\1"s)};
  std::string spec = spec_name("id") + spec_text("abc") + spec_name("n") + spec_int(-2) + spec_name("r") +
                     spec_real(0.5) + spec_name("b") + spec_blob("\0\1"s);
  CanonicalBuffer cb;
  EXPECT_EQ(row_hash(cb, kNames, row), xxh(spec));
}

TEST(Hash, LargeValuesAreStreamedWithTheSameDigest) {
  // Values from 64 KiB on are fed to XXH3 without a copy; the digest must be
  // the one of the whole canonical byte string, around and between them.
  std::string big(3u << 20, 'x'), mid(64u << 10, '\x01');
  big[12345] = '\0';
  Row row{Value::text(big), Value::integer(7), Value::real(0.25), Value::null(), Value::blob(mid)};
  std::string spec = spec_name("id") + spec_text(big) + spec_name("n") + spec_int(7) + spec_name("r") +
                     spec_real(0.25) + spec_name("b") + spec_blob(mid);
  CanonicalBuffer cb;
  EXPECT_EQ(row_hash(cb, kNames, row), xxh(spec));
  Row small{Value::text("a"), Value::integer(1), Value::null(), Value::null(), Value::null()};
  EXPECT_EQ(row_hash(cb, kNames, small), xxh(spec_name("id") + spec_text("a") + spec_name("n") + spec_int(1)));
}

TEST(Hash, KeyHashMatchesSpecBytes) {
  CanonicalBuffer cb;
  Row key{Value::text("my_tag"), Value::text("u1")};
  EXPECT_EQ(key_hash(cb, "tag", key), xxh(spec_name("tag") + spec_text("my_tag") + spec_text("u1")));
  Row ikey{Value::integer(std::numeric_limits<std::int64_t>::min())};
  EXPECT_EQ(key_hash(cb, "t", ikey), xxh(spec_name("t") + spec_int(std::numeric_limits<std::int64_t>::min())));
}

TEST(Hash, AddedNullColumnKeepsRowHash) {
  CanonicalBuffer cb;
  std::vector<std::string> names3 = {"id", "title", "meta"};
  std::vector<std::string> names4 = {"id", "title", "meta", "response_id"};
  Row r3{Value::text("c1"), Value::text("hello"), Value::text("{}")};
  Row r4 = r3;
  r4.push_back(Value::null());
  EXPECT_EQ(row_hash(cb, names3, r3), row_hash(cb, names4, r4));
  r4.back() = Value::text("");  // '' is a value, NULL is not
  EXPECT_NE(row_hash(cb, names3, r3), row_hash(cb, names4, r4));
}

TEST(Hash, RowHashSeparatesClassesAndNames) {
  CanonicalBuffer cb;
  std::vector<std::string> n1 = {"a"};
  auto h = [&](const Value& v) { return row_hash(cb, n1, Row{v}); };
  std::vector<Value> vals = {Value::integer(1),   Value::real(1.0),     Value::text("1"),  Value::blob("1"),
                             Value::text(""),     Value::blob(""),      Value::null(),     Value::text("null"),
                             Value::real(0.0),    Value::real(-0.0),    Value::integer(0), Value::text("a\0"s),
                             Value::text("a")};
  for (std::size_t i = 0; i < vals.size(); ++i)
    for (std::size_t j = i + 1; j < vals.size(); ++j)
      EXPECT_NE(h(vals[i]), h(vals[j])) << i << " vs " << j;
  // The name is part of the row hash: same value, other column.
  std::vector<std::string> n2 = {"b"};
  EXPECT_NE(row_hash(cb, n1, Row{Value::integer(1)}), row_hash(cb, n2, Row{Value::integer(1)}));
  // Lengths are framed: ("ab","c") differs from ("a","bc").
  std::vector<std::string> nn = {"x", "y"};
  EXPECT_NE(row_hash(cb, nn, Row{Value::text("ab"), Value::text("c")}),
            row_hash(cb, nn, Row{Value::text("a"), Value::text("bc")}));
}

TEST(Hash, CompositeKeyOrderMatters) {
  CanonicalBuffer cb;
  Row ab{Value::text("a"), Value::text("b")};
  Row ba{Value::text("b"), Value::text("a")};
  EXPECT_NE(key_hash(cb, "folder", ab), key_hash(cb, "folder", ba));
  EXPECT_EQ(key_hash(cb, "folder", ab), key_hash(cb, "folder", Row{Value::text("a"), Value::text("b")}));
  // The table name is part of the key hash.
  EXPECT_NE(key_hash(cb, "folder", ab), key_hash(cb, "tag", ab));
  // Framing: table "t" + key "ab" is not table "ta" + key "b".
  EXPECT_NE(key_hash(cb, "t", Row{Value::text("ab")}), key_hash(cb, "ta", Row{Value::text("b")}));
  // A NULL key part is not the same as no part or an empty string.
  EXPECT_NE(key_hash(cb, "t", Row{Value::null(), Value::text("x")}), key_hash(cb, "t", Row{Value::text("x")}));
  EXPECT_NE(key_hash(cb, "t", Row{Value::null()}), key_hash(cb, "t", Row{Value::text("")}));
}

TEST(Hash, BufferIsReusable) {
  CanonicalBuffer cb;
  Row r{Value::integer(42)};
  std::vector<std::string> n = {"a"};
  auto first = row_hash(cb, n, r);
  key_hash(cb, "other", Row{Value::text("zzz")});
  EXPECT_EQ(row_hash(cb, n, r), first);
}

TEST(StreamChecksum, IsXxh3Of64Bits) {
  StreamChecksum a, b;
  a.update("hello ");
  a.update("world\n");
  b.update("hello world\n");
  EXPECT_EQ(a.hex(), b.hex());
  EXPECT_EQ(a.hex().size(), 16u);
  char expect[17];
  std::snprintf(expect, sizeof expect, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits("hello world\n", 12)));
  EXPECT_EQ(a.hex(), expect);
  StreamChecksum empty;
  EXPECT_NE(empty.hex(), a.hex());
}
