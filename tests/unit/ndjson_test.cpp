// lib/ndjson: the value codec (JsonBuf -> Reader), the Reader's edge cases
// fed through temp files and pipes, trailers, and read_head().
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/text_check.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/line_buffer.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"

using namespace syncpipe;
using namespace syncpipe::ndjson;
using namespace std::string_literals;

namespace {

// An unlinked temp file holding `bytes`, positioned at its start.
class TempFd {
 public:
  explicit TempFd(const std::string& bytes) {
    char path[] = "/tmp/ndjson_test_XXXXXX";
    fd_ = ::mkstemp(path);
    if (fd_ < 0) throw std::runtime_error("mkstemp");
    ::unlink(path);
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + off, bytes.size() - off);
      if (n <= 0) throw std::runtime_error("write");
      off += static_cast<std::size_t>(n);
    }
    ::lseek(fd_, 0, SEEK_SET);
  }
  TempFd() : TempFd(std::string()) {}
  ~TempFd() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string contents() const {
    std::string out;
    char buf[65536];
    ::lseek(fd_, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd_, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int fd_ = -1;
};

// A pipe fed by a thread in small, uneven writes, so a record arrives in
// many read() chunks.
class PipeFeed {
 public:
  explicit PipeFeed(std::string bytes, std::size_t piece = 7919) : bytes_(std::move(bytes)) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe");
    rd_ = p[0];
    int wr = p[1];
    thread_ = std::thread([this, wr, piece] {
      std::size_t off = 0;
      while (off < bytes_.size()) {
        ssize_t n = ::write(wr, bytes_.data() + off, std::min(piece, bytes_.size() - off));
        if (n <= 0) break;  // reader gave up (EPIPE is ignored below)
        off += static_cast<std::size_t>(n);
      }
      ::close(wr);
    });
  }
  ~PipeFeed() {
    ::close(rd_);  // unblocks the writer if the reader stopped early
    thread_.join();
  }
  int fd() const { return rd_; }

 private:
  std::string bytes_;
  int rd_ = -1;
  std::thread thread_;
};

struct IgnoreSigpipe {
  IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
} ignore_sigpipe;

std::string trailer_for(const std::string& body, std::uint64_t n) {
  StreamChecksum sum;
  sum.update(body);
  return R"({"t":"trailer","records":)" + std::to_string(n) + R"(,"checksum":")" + sum.hex() + "\"}";
}

// Joins records with "\n" and appends a valid trailer.
std::string stream_of(const std::vector<std::string>& records, bool final_newline = true) {
  std::string body;
  for (const auto& r : records) body += r + "\n";
  return body + trailer_for(body, records.size()) + (final_newline ? "\n" : "");
}

std::string row_record(const Row& row) {
  JsonBuf j;
  j.raw(R"({"t":"row","table":"x","v":)").values(row).raw("}");
  return j.str();
}

// Writes row through JsonBuf, reads it back through a Reader.
Row round_trip(const Row& row) {
  TempFd f(stream_of({row_record(row)}));
  Reader r(f.fd(), "rt");
  EXPECT_TRUE(r.next());
  Row out;
  EXPECT_TRUE(r.values("v", out));
  EXPECT_FALSE(r.next());
  return out;
}

std::string encode(const Value& v) {
  JsonBuf j;
  j.value(v);
  return j.str();
}

Value decode_one(const std::string& json_value) {
  TempFd f(stream_of({R"({"t":"row","v":[)" + json_value + "]}"}));
  Reader r(f.fd(), "d");
  r.next();
  Row out;
  r.values("v", out);
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

// Runs body, expects an InputError whose message contains every needle.
template <typename F>
std::string expect_input_error(F body, std::vector<std::string> needles) {
  try {
    body();
  } catch (const InputError& e) {
    std::string what = e.what();
    for (const auto& n : needles) EXPECT_NE(what.find(n), std::string::npos) << "'" << n << "' not in: " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(e.code(), exit_code::kBadInput);
    return what;
  }
  ADD_FAILURE() << "no InputError";
  return {};
}

void drain(Reader& r) {
  while (r.next()) {
  }
}

double bits_to_double(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

}  // namespace

// ---------------------------------------------------------------- values

TEST(ValueCodec, EveryEscapeAtEveryPositionOfAWord) {
  // The writer skips clean 8-byte words; a byte that needs escaping must be
  // found at any offset, next to multi-byte UTF-8, at the start and the end.
  const std::string specials[] = {"\"", "\\", "\n", "\r", "\t", std::string(1, '\0'), "\x01", "\x1f", "\x7f"};
  Row row;
  for (const auto& sp : specials)
    for (std::size_t pos = 0; pos < 19; ++pos) {
      std::string t = "abcdéfghijklmnopqrstuvwxyz";
      t.insert(pos, sp);
      row.push_back(Value::text(t));
      row.push_back(Value::text(sp + t + sp));
    }
  EXPECT_EQ(round_trip(row), row);
  ndjson::JsonBuf j;
  j.text("plain ascii text of more than eight bytes");
  EXPECT_EQ(j.str(), "\"plain ascii text of more than eight bytes\"");
  j.clear();
  j.text("12345678\"12345678\\1234567\n");
  EXPECT_EQ(j.str(), R"("12345678\"12345678\\1234567\n")");
}

TEST(ValueCodec, IntegersOverTheWholeRange) {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  Row row{Value::integer(lo), Value::integer(hi), Value::integer((std::int64_t{1} << 53) + 1),
          Value::integer(-((std::int64_t{1} << 53) + 1)), Value::integer(0), Value::integer(1764000000123456789)};
  EXPECT_EQ(round_trip(row), row);
  EXPECT_EQ(encode(Value::integer(lo)), "-9223372036854775808");
  EXPECT_EQ(encode(Value::integer(hi)), "9223372036854775807");
  EXPECT_EQ(encode(Value::integer((std::int64_t{1} << 53) + 1)), "9007199254740993");
}

TEST(ValueCodec, IntegerOutsideInt64IsRefused) {
  expect_input_error([] { decode_one("9223372036854775808"); }, {"d:1:", "int64"});
  expect_input_error([] { decode_one("-9223372036854775809"); }, {"d:1:"});
}

TEST(ValueCodec, RealsAreBitExact) {
  const double inf = std::numeric_limits<double>::infinity();
  Row row{Value::real(0.1),     Value::real(-0.0),  Value::real(0.0),    Value::real(1e300),
          Value::real(5e-324),  Value::real(inf),   Value::real(-inf),   Value::real(1.0),
          Value::real(-1.5e-7), Value::real(1e22),  Value::real(123456789012345680000.0),
          Value::real(std::numeric_limits<double>::max()), Value::real(std::numeric_limits<double>::min()),
          Value::real(bits_to_double(0x000fffffffffffffULL)),  // largest subnormal
          Value::real(9007199254740993.0), Value::real(1.7976931348623157e308)};
  Row back = round_trip(row);
  ASSERT_EQ(back.size(), row.size());
  for (std::size_t i = 0; i < row.size(); ++i) {
    EXPECT_EQ(back[i].kind, Kind::Real) << i;
    EXPECT_EQ(back[i], row[i]) << i << ": " << encode(row[i]);
  }
  EXPECT_TRUE(std::signbit(back[1].r));
  EXPECT_EQ(back[4].r, std::numeric_limits<double>::denorm_min());
}

TEST(ValueCodec, RealEncodings) {
  EXPECT_EQ(encode(Value::real(1.0)), "1.0");
  EXPECT_EQ(encode(Value::real(-0.0)), "-0.0");
  EXPECT_EQ(encode(Value::real(0.1)), "0.1");
  EXPECT_EQ(encode(Value::real(1e300)), "1e+300");
  EXPECT_EQ(encode(Value::real(5e-324)), "5e-324");
  EXPECT_EQ(encode(Value::real(std::numeric_limits<double>::infinity())), R"({"real":"inf"})");
  EXPECT_EQ(encode(Value::real(-std::numeric_limits<double>::infinity())), R"({"real":"-inf"})");
}

TEST(ValueCodec, IntegralRealStaysReal) {
  Row row{Value::real(1.0), Value::real(-3.0), Value::real(1e15), Value::real(4611686018427387904.0)};
  Row back = round_trip(row);
  for (std::size_t i = 0; i < row.size(); ++i) {
    EXPECT_EQ(back[i].kind, Kind::Real) << encode(row[i]);
    EXPECT_EQ(back[i], row[i]);
  }
  // A reader treats any fraction or exponent as REAL.
  EXPECT_EQ(decode_one("1e0"), Value::real(1.0));
  EXPECT_EQ(decode_one("2E2"), Value::real(200.0));
  EXPECT_EQ(decode_one("-0.0"), Value::real(-0.0));
  EXPECT_EQ(decode_one("7"), Value::integer(7));
}

TEST(ValueCodec, TextWithNulAndControlBytes) {
  Row row{Value::text("a\0b"s), Value::text("\0"s), Value::text("line\nfeed\r\t\"quote\\ \x01\x1f\x7f"s),
          Value::text("caf\xc3\xa9 \xf0\x9f\x98\x80"), Value::text("\xe2\x80\xa8")};
  EXPECT_EQ(round_trip(row), row);
  EXPECT_EQ(encode(Value::text("a\0b"s)), R"("a\u0000b")");
}

TEST(ValueCodec, InvalidUtf8BecomesTextB64) {
  std::vector<std::string> bad = {"\xff"s, "abc\xc3"s, "\xc0\xaf"s /* overlong */, "\xed\xa0\x80"s /* surrogate */,
                                  "\xf4\x90\x80\x80"s /* > U+10FFFF */, "ok\0\xfe"s};
  for (const auto& b : bad) {
    std::string enc = encode(Value::text(b));
    EXPECT_EQ(enc.rfind(R"({"text_b64":")", 0), 0u) << enc;
    Row row{Value::text(b)};
    Row back = round_trip(row);
    EXPECT_EQ(back, row) << enc;
    EXPECT_EQ(back[0].kind, Kind::Text);
  }
}

TEST(ValueCodec, BlobNullAndEmpties) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  Row row{Value::blob(bytes), Value::blob(""), Value::null(), Value::text(""), Value::text("null"),
          Value::blob("text-looking")};
  Row back = round_trip(row);
  ASSERT_EQ(back, row);
  EXPECT_EQ(back[1].kind, Kind::Blob);
  EXPECT_EQ(back[2].kind, Kind::Null);
  EXPECT_EQ(back[3].kind, Kind::Text);  // '' is not NULL
  EXPECT_EQ(back[4].kind, Kind::Text);  // 'null' is not NULL
  EXPECT_EQ(back[4].s, "null");
  EXPECT_EQ(encode(Value::null()), "null");
  EXPECT_EQ(encode(Value::text("null")), R"("null")");
  EXPECT_EQ(encode(Value::blob("")), R"({"blob":""})");
}

TEST(ValueCodec, ReaderAcceptsAnyJsonEscape) {
  EXPECT_EQ(decode_one(R"("\u00e9\/\b\f\n\r\t\"\\")"), Value::text("\xc3\xa9/\b\f\n\r\t\"\\"));
  EXPECT_EQ(decode_one(R"("\ud83d\ude00")"), Value::text("\xf0\x9f\x98\x80"));
  EXPECT_EQ(decode_one(R"("\u0000")"), Value::text("\0"s));
}

TEST(ValueCodec, BadTaggedValuesAreRefused) {
  expect_input_error([] { decode_one(R"({"real":"nan"})"); }, {"d:1:"});
  expect_input_error([] { decode_one(R"({"blob":"@@@@"})"); }, {"d:1:", "blob"});
  expect_input_error([] { decode_one(R"({"text_b64":"abc"})"); }, {"d:1:"});
  expect_input_error([] { decode_one(R"({"date":"2026"})"); }, {"d:1:", "date"});
  expect_input_error([] { decode_one("{}"); }, {"d:1:"});
  expect_input_error([] { decode_one("true"); }, {"d:1:"});
  expect_input_error([] { decode_one("[1]"); }, {"d:1:"});
}

TEST(ValueCodec, ValuesFieldMissingOrNull) {
  TempFd f(stream_of({R"({"t":"change","k":[1],"v":null})"}));
  Reader r(f.fd(), "x");
  ASSERT_TRUE(r.next());
  Row out{Value::integer(9)};
  EXPECT_FALSE(r.values("v", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(r.values("nope", out));
  EXPECT_TRUE(r.values("k", out));
  EXPECT_EQ(out, Row{Value::integer(1)});
}

// ---------------------------------------------------------------- reader

TEST(Reader, RecordsBiggerThanAReadChunkThroughAPipe) {
  // 3 records of 1.5 MiB and small ones between them, fed in odd-sized writes.
  std::vector<std::string> recs;
  for (int i = 0; i < 3; ++i) {
    std::string big(3 << 19, static_cast<char>('a' + i));
    recs.push_back(R"({"t":"row","v":[")" + big + R"("]})");
    recs.push_back(R"({"t":"small","i":)" + std::to_string(i) + "}");
  }
  PipeFeed feed(stream_of(recs));
  Reader r(feed.fd(), "pipe");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(r.next());
    Row v;
    r.values("v", v);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].s.size(), std::size_t{3} << 19);
    EXPECT_EQ(v[0].s.find_first_not_of(static_cast<char>('a' + i)), std::string::npos);
    ASSERT_TRUE(r.next());
    EXPECT_EQ(r.type(), "small");
    EXPECT_EQ(r.int64("i"), i);
    EXPECT_EQ(r.line_no(), static_cast<std::size_t>(2 * i + 2));
  }
  EXPECT_FALSE(r.next());
}

TEST(Reader, RecordsStraddlingTheFileReadBoundary) {
  // 700 KB records: every second one crosses a 1 MiB read boundary.
  std::vector<std::string> recs;
  for (int i = 0; i < 8; ++i)
    recs.push_back(R"({"t":"row","n":)" + std::to_string(i) + R"(,"v":[")" + std::string(700000, 'x') + R"("]})");
  TempFd f(stream_of(recs));
  Reader r(f.fd(), "file");
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(r.next()) << i;
    EXPECT_EQ(r.int64("n"), i);
    EXPECT_EQ(r.line(), recs[static_cast<std::size_t>(i)]);
  }
  EXPECT_FALSE(r.next());
}

TEST(Reader, CrlfLines) {
  std::vector<std::string> recs = {R"({"t":"a","s":"x"})", R"({"t":"b"})"};
  std::string lf = stream_of(recs);
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  TempFd f(crlf);
  Reader r(f.fd(), "crlf");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), recs[0]);  // no CR in the record
  EXPECT_EQ(r.str("s"), "x");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.type(), "b");
  EXPECT_FALSE(r.next());
}

TEST(Reader, OneByteWritesWithCrlf) {
  // Every byte its own write: CR and LF land in different reads.
  std::vector<std::string> recs;
  for (int i = 0; i < 50; ++i) recs.push_back(R"({"t":"r","i":)" + std::to_string(i) + R"(,"s":"\r\n"})");
  std::string lf = stream_of(recs), crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  PipeFeed feed(crlf, 1);
  Reader r(feed.fd(), "bytes");
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(r.next());
    EXPECT_EQ(r.line(), recs[static_cast<std::size_t>(i)]);
    EXPECT_EQ(r.str("s"), "\r\n");
  }
  EXPECT_FALSE(r.next());
}

TEST(Reader, MissingFinalNewline) {
  TempFd f(stream_of({R"({"t":"a"})"}, false));
  Reader r(f.fd(), "nonl");
  ASSERT_TRUE(r.next());
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.next());  // stays done
}

TEST(Reader, EmptyStreamIsTruncated) {
  TempFd f;
  Reader r(f.fd(), "empty");
  expect_input_error([&] { r.next(); }, {"empty", "truncated", "without a trailer"});
}

TEST(Reader, StreamWithoutTrailerNamesTheLine) {
  std::string s = R"({"t":"a"})" "\n" R"({"t":"b"})" "\n";
  TempFd f(s);
  Reader r(f.fd(), "cut");
  ASSERT_TRUE(r.next());
  ASSERT_TRUE(r.next());
  expect_input_error([&] { r.next(); }, {"cut:3:", "truncated", "2 records"});
}

TEST(Reader, StreamCutInsideARecord) {
  std::string s = stream_of({R"({"t":"a"})", R"({"t":"b","v":[1,2,3]})"});
  s.resize(s.find(R"({"t":"b")") + 12);  // ends mid-record, no line feed
  TempFd f(s);
  Reader r(f.fd(), "cut");
  ASSERT_TRUE(r.next());
  expect_input_error(
      [&] {
        r.next();
        Row v;
        r.values("v", v);
        r.next();
      },
      {"cut:2:"});
}

TEST(Reader, TrailerWithWrongCount) {
  std::string body = R"({"t":"a"})" "\n" R"({"t":"b"})" "\n";
  TempFd f(body + trailer_for(body, 3) + "\n");
  Reader r(f.fd(), "cnt");
  ASSERT_TRUE(r.next());
  ASSERT_TRUE(r.next());
  expect_input_error([&] { r.next(); }, {"cnt:3:", "3 records", "had 2"});
}

TEST(Reader, TrailerWithWrongChecksum) {
  std::string body = R"({"t":"a","x":1})" "\n";
  std::string tampered = R"({"t":"a","x":2})" "\n";
  TempFd f(tampered + trailer_for(body, 1) + "\n");
  Reader r(f.fd(), "sum");
  ASSERT_TRUE(r.next());
  expect_input_error([&] { r.next(); }, {"sum:2:", "checksum"});
}

TEST(Reader, TrailerMissingFields) {
  TempFd f(R"({"t":"trailer"})" "\n");
  Reader r(f.fd(), "tr");
  expect_input_error([&] { r.next(); }, {"tr:1:", "records"});
}

TEST(Reader, DataAfterTrailer) {
  TempFd f(stream_of({R"({"t":"a"})"}) + R"({"t":"b"})" "\n");
  Reader r(f.fd(), "after");
  ASSERT_TRUE(r.next());
  expect_input_error([&] { r.next(); }, {"after:3:", "after the trailer"});
}

TEST(Reader, SecondStreamAfterTrailerIsRefused) {
  std::string one = stream_of({R"({"t":"a"})"});
  TempFd f(one + one);
  Reader r(f.fd(), "two");
  ASSERT_TRUE(r.next());
  expect_input_error([&] { drain(r); }, {"after the trailer"});
}

TEST(Reader, RecordLongerThanMaxRecordIsAnError) {
  const std::size_t max = 1000;
  std::string ok = R"({"t":"a","s":")" + std::string(max - 16, 'y') + R"("})";
  ASSERT_EQ(ok.size(), max);
  std::string too_long = R"({"t":"a","s":")" + std::string(5 * max, 'z') + R"("})";
  {  // exactly max passes
    TempFd f(stream_of({ok}));
    Reader r(f.fd(), "max", max);
    ASSERT_TRUE(r.next());
    EXPECT_EQ(r.line(), ok);
  }
  {  // max + 1 is refused, from a file
    TempFd f(stream_of({ok, ok + " "}));
    Reader r(f.fd(), "max", max);
    ASSERT_TRUE(r.next());
    expect_input_error([&] { r.next(); }, {"max:2:", "longer than the limit of 1000"});
  }
  {  // through a pipe, the long record last and without a final newline
    PipeFeed feed(R"({"t":"a"})" "\n" + too_long, 100);
    Reader r(feed.fd(), "pipe", max);
    ASSERT_TRUE(r.next());
    expect_input_error([&] { r.next(); }, {"pipe:2:", "longer than the limit"});
  }
}

TEST(Reader, HugeRecordWithDefaultLimitDoesNotNeedToBeRead) {
  // 200 MiB of a single line is refused after reading at most ~limit bytes.
  const std::size_t max = 4 << 20;
  std::string huge = R"({"t":"a","s":")" + std::string(12 << 20, 'q');
  PipeFeed feed(huge, 1 << 16);
  Reader r(feed.fd(), "huge", max);
  expect_input_error([&] { r.next(); }, {"huge:1:", "longer than the limit"});
  EXPECT_LE(r.bytes_read(), max + (std::size_t{3} << 20));
}

TEST(Reader, MalformedJsonNamesTheLine) {
  std::vector<std::string> bad = {"not json", R"({"t":)", R"({"t":"a",})", R"(["t","a"])", R"({"x":1})",
                                  R"({"t":7})", "", "\xff{}"};
  for (const auto& b : bad) {
    TempFd f(stream_of({R"({"t":"ok"})", R"({"t":"ok"})", b}));
    Reader r(f.fd(), "mal");
    ASSERT_TRUE(r.next());
    ASSERT_TRUE(r.next());
    expect_input_error(
        [&] {
          r.next();
          r.str("t");  // lazily parsed JSON: make the reader look at the record
          r.opt_str("missing");
        },
        {"mal:3:"});
  }
}

TEST(Reader, FieldAccessors) {
  TempFd f(stream_of({R"({"t":"x","s":"str","i":-5,"b":true,"h":"0123456789abcdef0123456789abcdef","n":null})"}));
  Reader r(f.fd(), "acc");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.str("s"), "str");
  EXPECT_EQ(r.int64("i"), -5);
  EXPECT_EQ(r.boolean("b", false), true);
  EXPECT_EQ(r.boolean("nb", true), true);
  EXPECT_EQ(r.hash("h").hex(), "0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(r.opt_str("n"));
  EXPECT_FALSE(r.opt_int64("nope"));
  EXPECT_FALSE(r.opt_hash("n"));
  expect_input_error([&] { r.str("i"); }, {"acc:1:", "\"i\""});
  expect_input_error([&] { r.int64("missing"); }, {"acc:1:", "missing"});
  expect_input_error([&] { r.hash("s"); }, {"acc:1:", "\"s\""});
}

TEST(Reader, ThirtyMegabyteString) {
  std::string big(30 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4099) big[i] = '"';  // escapes all over
  Row row{Value::text("chat-1"), Value::text(big)};
  JsonBuf j;
  j.raw(R"({"t":"row","table":"chat","v":)").values(row).raw("}");
  PipeFeed feed(stream_of({j.str(), R"({"t":"after"})"}), 1 << 16);
  Reader r(feed.fd(), "big");
  ASSERT_TRUE(r.next());
  Row back;
  r.values("v", back);
  EXPECT_EQ(back, row);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.type(), "after");
  EXPECT_FALSE(r.next());
}

namespace {

std::size_t vm_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoul(line.substr(std::strlen(field)));
  return 0;
}

// In a child process (so other tests' allocations do not count): read
// 200,000 records from a pipe fed on the fly; exit 0 if the peak RSS grew by
// less than `limit_kib`, 2 if it grew more, 3 on a reader error.
int child_reads_many(std::size_t limit_kib) {
  std::ofstream("/proc/self/clear_refs") << "5";  // reset VmHWM (Linux >= 4.0)
  std::size_t before = vm_kib("VmRSS:");
  int p[2];
  if (::pipe(p) != 0) return 4;
  std::thread gen([w = p[1]] {
    StreamChecksum sum;
    std::string chunk;
    for (int i = 0; i < 200000; ++i) {
      std::string rec = R"({"t":"row","table":"message","kh":"0123456789abcdef0123456789abcdef","v":[)" +
                        std::to_string(i) + R"(,"some small text value"]})" "\n";
      sum.update(rec);
      chunk += rec;
      if (i == 199999) chunk += R"({"t":"trailer","records":200000,"checksum":")" + sum.hex() + "\"}\n";
      if (chunk.size() > 60000 || i == 199999) {
        if (::write(w, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) break;
        chunk.clear();
      }
    }
    ::close(w);
  });
  int rc = 0;
  try {
    Reader r(p[0], "many");
    std::uint64_t n = 0;
    Row v;
    while (r.next()) {
      r.values("v", v);
      ++n;
    }
    if (n != 200000) rc = 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    rc = 3;
  }
  gen.join();
  std::size_t peak = vm_kib("VmHWM:");
  std::fprintf(stderr, "rss before %zu KiB, peak %zu KiB\n", before, peak);
#ifndef SYNCPIPE_SANITIZED  // under ASan the peak is shadow memory and quarantine (tests/meson.build)
  if (rc == 0 && peak > before + limit_kib) rc = 2;
#endif
  return rc;
}

}  // namespace

TEST(Reader, ManySmallRecordsKeepMemoryBounded) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(child_reads_many(8 << 10));  // 8 MiB
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2 = memory grew, 3 = reader error";
}

TEST(LineBuffer, BufferDoesNotGrowWithRecordCount) {
  // 200,000 records of ~100 bytes = ~20 MB of input; the buffer stays at its
  // initial size, as seen from the room after each line.
  std::string body;
  for (int i = 0; i < 200000; ++i) body += R"({"t":"row","v":[)" + std::to_string(i) + R"(,"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]})" "\n";
  TempFd f(body);
  LineBuffer lb(f.fd(), "lb", kDefaultMaxRecord);
  std::string_view line;
  std::size_t n = 0, max_room = 0;
  while (lb.next(line)) {
    ++n;
    max_room = std::max(max_room, lb.capacity_after(line.data()));
  }
  EXPECT_EQ(n, 200000u);
  EXPECT_LE(max_room, std::size_t{4} << 20);
}

// ---------------------------------------------------------------- writer

TEST(RecordWriter, WritesAVerifiableTrailer) {
  TempFd out;
  {
    RecordWriter w(out.fd());
    JsonBuf j;
    j.open().key("t").string("row").key("v").values(Row{Value::integer(1), Value::text("a\0"s)}).close();
    w.record(j);
    w.line(R"({"t":"unknown","keep":"me"})");
    w.finish();
    EXPECT_EQ(w.records(), 2u);
  }
  std::string s = out.contents();
  TempFd in(s);
  Reader r(in.fd(), "w");
  ASSERT_TRUE(r.next());
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), R"({"t":"unknown","keep":"me"})");
  EXPECT_FALSE(r.next());
}

TEST(RecordWriter, WithoutFinishTheStreamIsTruncated) {
  TempFd out;
  {
    RecordWriter w(out.fd());
    w.line(R"({"t":"a"})");
  }
  TempFd in(out.contents());
  Reader r(in.fd(), "nofinish");
  ASSERT_TRUE(r.next());
  expect_input_error([&] { r.next(); }, {"truncated"});
}

// ---------------------------------------------------------------- read_head

namespace {

std::string lease_line() {
  JsonBuf j;
  write_lease(j, Lease{"host-1", "node-a", "2026-11-25T10:00:00Z", 42});
  return j.str();
}

std::string header_line(bool adhoc, int version = kProtocolVersion) {
  Header h;
  h.version = version;
  h.client = "acme";
  h.host = "host-1";
  h.schema = "acme_s";
  h.source = "/srv/acme/webui.db";
  h.stream_id = "abc";
  h.created_at = "2026-11-25T09:00:00Z";
  h.adhoc = adhoc;
  JsonBuf j;
  write_header(j, h);
  return j.str();
}

}  // namespace

TEST(ReadHead, LeaseAndHeaderAreParsedAndForwardedByteForByte) {
  std::string lease = lease_line();
  lease.insert(lease.size() - 1, R"(,"future_field":[1,{"x":2}])");  // unknown fields survive
  TempFd f(stream_of({lease, header_line(false), R"({"t":"mystery","payload":"kept"})"}));
  TempFd out;
  Reader r(f.fd(), "head");
  RecordWriter w(out.fd());
  StreamHead head = read_head(r, &w);
  ASSERT_TRUE(head.lease);
  EXPECT_EQ(head.lease->cluster, "host-1");
  EXPECT_EQ(head.lease->holder, "node-a");
  EXPECT_EQ(head.lease->epoch, 42);
  EXPECT_EQ(head.lease->expires_at, "2026-11-25T10:00:00Z");
  EXPECT_EQ(head.header.client, "acme");
  EXPECT_EQ(head.header.schema, "acme_s");
  EXPECT_EQ(head.header.source, "/srv/acme/webui.db");
  EXPECT_FALSE(head.header.adhoc);
  // Unknown record types come back to the caller, which forwards them.
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.type(), "mystery");
  w.line(r.line());
  EXPECT_FALSE(r.next());
  w.finish();
  EXPECT_EQ(out.contents(), stream_of({lease, header_line(false), R"({"t":"mystery","payload":"kept"})"}));
}

TEST(ReadHead, AdhocHeaderWithoutLease) {
  TempFd f(stream_of({header_line(true)}));
  Reader r(f.fd(), "adhoc");
  StreamHead head = read_head(r, nullptr);
  EXPECT_FALSE(head.lease);
  EXPECT_TRUE(head.header.adhoc);
  EXPECT_FALSE(r.next());
}

TEST(ReadHead, HeaderWithoutLeaseAndNotAdhocIsRefused) {
  TempFd f(stream_of({header_line(false)}));
  Reader r(f.fd(), "nolease");
  expect_input_error([&] { read_head(r, nullptr); }, {"nolease:1:", "no lease"});
}

TEST(ReadHead, UnknownVersionIsRefused) {
  TempFd f(stream_of({lease_line(), header_line(false, 2)}));
  Reader r(f.fd(), "ver");
  expect_input_error([&] { read_head(r, nullptr); }, {"ver:2:", "version 2"});
}

TEST(ReadHead, MissingHeaderOrEmptyStream) {
  {
    TempFd f(stream_of({lease_line(), R"({"t":"row"})"}));
    Reader r(f.fd(), "nohdr");
    expect_input_error([&] { read_head(r, nullptr); }, {"nohdr:2:", "header"});
  }
  {
    TempFd f(stream_of({}));
    Reader r(f.fd(), "empty");
    expect_input_error([&] { read_head(r, nullptr); }, {"empty"});
  }
  {
    TempFd f(stream_of({lease_line()}));
    Reader r(f.fd(), "leaseonly");
    expect_input_error([&] { read_head(r, nullptr); }, {"leaseonly"});
  }
}

TEST(Protocol, TableRecordRoundTrip) {
  TableSchema t;
  t.name = "we\"ird;\nname";
  t.columns = {{"id", "VARCHAR(255)", true, 1, std::nullopt},
               {"user", "TEXT", false, 2, std::string("'x'")},
               {"n", "", false, 0, std::nullopt}};
  t.key = {"id", "user"};
  t.key_source = "primary_key";
  JsonBuf j;
  write_table(j, t);
  TempFd f(stream_of({j.str()}));
  Reader r(f.fd(), "tbl");
  ASSERT_TRUE(r.next());
  TableSchema back = parse_table(r);
  EXPECT_EQ(back.name, t.name);
  ASSERT_EQ(back.columns.size(), 3u);
  EXPECT_EQ(back.columns[1].name, "user");
  EXPECT_EQ(back.columns[1].pk, 2);
  EXPECT_EQ(back.columns[1].dflt, std::optional<std::string>("'x'"));
  EXPECT_FALSE(back.columns[0].dflt);
  EXPECT_TRUE(back.columns[0].notnull);
  EXPECT_EQ(back.key, t.key);
  EXPECT_EQ(back.key_index, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(back.key_source, "primary_key");
}

TEST(Protocol, ChangeRecordRoundTrip) {
  Change c;
  c.op = "update";
  c.table = "chat";
  c.kh = Hash128{1, 2};
  c.h = Hash128{3, 4};
  c.k = {Value::text("c1")};
  c.v = {Value::text("c1"), Value::integer(std::numeric_limits<std::int64_t>::max()), Value::real(-0.0),
         Value::text("\xff"s)};
  c.has_v = true;
  JsonBuf j;
  write_change(j, c);
  TempFd f(stream_of({j.str()}));
  Reader r(f.fd(), "chg");
  ASSERT_TRUE(r.next());
  Change back = parse_change(r);
  EXPECT_EQ(back.op, "update");
  EXPECT_EQ(back.kh, c.kh);
  EXPECT_EQ(back.h, c.h);
  EXPECT_EQ(back.k, c.k);
  EXPECT_EQ(back.v, c.v);
  EXPECT_TRUE(back.has_v);
}

TEST(Protocol, HeaderAndDefaultsWithInvalidUtf8RoundTrip) {
  Header h;
  h.client = "acme";
  h.host = "h";
  h.schema = "acme";
  h.source = "/srv/\xff\xfe/webui.db";
  h.stream_id = "id";
  h.adhoc = true;
  JsonBuf hj;
  write_header(hj, h);
  TableSchema t;
  t.name = "t";
  t.columns = {{"id", "TEXT", true, 1, std::string("'\xff'")}};
  t.key = {"id"};
  t.key_source = "primary_key";
  JsonBuf tj;
  write_table(tj, t);
  TempFd f(stream_of({hj.str(), tj.str()}));
  Reader r(f.fd(), "u8");
  StreamHead head = read_head(r, nullptr);
  EXPECT_EQ(head.header.source, h.source);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(parse_table(r).columns.at(0).dflt, t.columns[0].dflt);
}

// ---------------------------------------------------------------- forwarding source bytes

TEST(Reader, RawIsTheFieldsSourceTextInAnyFieldOrder) {
  std::string v = R"([ "a\"b\u00e9" , 1.50 ,{"blob":"AA=="}, null,{ "real":"inf"} ])";
  std::string rec = R"({"x": {"a":[1,{"b":"}"}]} ,"v":)" + v + R"( , "s": "q\n" ,"n":null,"i":-12 ,"t":"row"})";
  TempFd f(stream_of({rec}));
  Reader r(f.fd(), "raw");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.raw("v"), std::optional<std::string_view>(v));
  EXPECT_EQ(r.raw("x"), std::optional<std::string_view>(R"({"a":[1,{"b":"}"}]})"));
  EXPECT_EQ(r.raw("s"), std::optional<std::string_view>(R"("q\n")"));
  EXPECT_EQ(r.raw("i"), std::optional<std::string_view>("-12"));
  EXPECT_FALSE(r.raw("n"));
  EXPECT_FALSE(r.raw("missing"));
  EXPECT_EQ(r.raw("v"), std::optional<std::string_view>(v));  // a field can be read again
  Row all;
  EXPECT_TRUE(r.values("v", all));
  EXPECT_EQ(all.size(), 5u);
  EXPECT_FALSE(r.next());
}

TEST(Reader, ValuesAtDecodesOnlyThePositionsAsked) {
  Row row{Value::text("k1"), Value::real(1.5), Value::blob("\x00\xff"s), Value::integer(7)};
  TempFd f(stream_of({row_record(row)}));
  Reader r(f.fd(), "at");
  ASSERT_TRUE(r.next());
  Row key;
  std::size_t n = 0;
  EXPECT_TRUE(r.values_at("v", {3, 0}, key, n));
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(key, (Row{Value::integer(7), Value::text("k1")}));
  EXPECT_TRUE(r.values_at("v", {9}, key, n));  // past the end: null, and the count tells
  EXPECT_EQ(key, (Row{Value::null()}));
  EXPECT_EQ(n, 4u);
  EXPECT_FALSE(r.values_at("nope", {0}, key, n));
  expect_input_error([&] { r.values_at("table", {0}, key, n); }, {"at:1", "not an array"});
}

TEST(Reader, RawOfUnbalancedBracketsIsAnError) {
  TempFd f(stream_of({R"({"t":"row","v":[1,2},"x":1})"}));
  Reader r(f.fd(), "unbalanced");
  expect_input_error([&] {
    if (r.next()) r.raw("v");
  }, {"unbalanced:1"});
}

namespace {

// A change record forwarding v_json, written by RecordWriter and read back.
Change forwarded_change_round_trip(const Row& v) {
  std::string v_json = values_json(v);
  Change c;
  c.op = "insert";
  c.table = "chat";
  c.kh = Hash128{5, 6};
  c.h = Hash128{7, 8};
  c.k = {v.at(0)};
  c.has_v = true;
  c.v_json = v_json;
  TempFd out;
  {
    RecordWriter w(out.fd());
    JsonBuf scratch;
    w.line(R"({"t":"before"})");
    write_change(w, scratch, c);
    w.line(R"({"t":"after"})");
    w.finish();
  }
  std::string s = out.contents();
  JsonBuf whole;
  write_change(whole, c);  // the same record through one buffer
  EXPECT_NE(s.find("\n" + whole.str() + "\n"), std::string::npos);
  c.v_json = {};
  c.v = v;
  JsonBuf encoded;
  write_change(encoded, c);  // and the same bytes as encoding the values again
  EXPECT_EQ(whole.str(), encoded.str());
  TempFd in(s);
  Reader r(in.fd(), "fwd");
  EXPECT_TRUE(r.next());
  EXPECT_TRUE(r.next());
  Change back = parse_change(r);
  EXPECT_TRUE(r.next());
  EXPECT_EQ(r.type(), "after");
  EXPECT_FALSE(r.next());  // the trailer's count and checksum hold
  return back;
}

}  // namespace

TEST(Protocol, ChangeWithForwardedValuesSmallAndLarge) {
  Row small{Value::text("c1"), Value::real(-0.0), Value::text("\xff"s), Value::null()};
  EXPECT_EQ(forwarded_change_round_trip(small).v, small);
  std::string big(6 << 20, 'y');  // over the writer's flush size: written from where it lies
  for (std::size_t i = 0; i < big.size(); i += 1021) big[i] = '\\';
  Row large{Value::text("c2"), Value::text(big), Value::blob("\x01"s)};
  Change back = forwarded_change_round_trip(large);
  EXPECT_EQ(back.v, large);
  EXPECT_EQ(back.k, Row{Value::text("c2")});
}

TEST(Protocol, ConflictWithForwardedValues) {
  Conflict c;
  c.kind = "update_update";
  c.table = "t";
  c.kh = Hash128{1, 1};
  c.h = Hash128{2, 2};
  c.k = {Value::integer(1)};
  Row v{Value::integer(1), Value::text("new")};
  c.source = v;
  JsonBuf encoded;
  write_conflict(encoded, c);
  std::string v_json = values_json(v);
  c.source.reset();
  c.v_json = v_json;
  JsonBuf forwarded;
  write_conflict(forwarded, c);
  EXPECT_EQ(forwarded.str(), encoded.str());
  c.target = Row{Value::integer(1), Value::text(std::string(5 << 20, 'z'))};  // large: written in pieces
  c.base_h = Hash128{3, 3};
  c.settled = Settlement{"value", v, "alice", 7};
  c.drift = true;
  JsonBuf whole;
  write_conflict(whole, c);
  TempFd out;
  {
    RecordWriter w(out.fd());
    JsonBuf scratch;
    write_conflict(w, scratch, c);
    w.finish();
  }
  std::string s = out.contents();
  EXPECT_EQ(s.substr(0, s.find('\n')), whole.str());
  TempFd in(s);
  Reader r(in.fd(), "conflict");
  ASSERT_TRUE(r.next());
  Conflict back = parse_conflict(r);
  EXPECT_EQ(back.kind, c.kind);
  EXPECT_EQ(back.kh, c.kh);
  EXPECT_EQ(back.h, c.h);
  EXPECT_EQ(back.source, v);
  EXPECT_EQ(back.target, c.target);
  EXPECT_EQ(back.base_h, c.base_h);
  EXPECT_FALSE(back.target_h);
  EXPECT_TRUE(back.drift);
  ASSERT_TRUE(back.settled);
  EXPECT_EQ(back.settled->take, "value");
  EXPECT_EQ(back.settled->v, v);
  EXPECT_EQ(back.settled->by, "alice");
  EXPECT_EQ(back.settled->id, 7);
  EXPECT_FALSE(r.next());
}

// Each record a writer built, read back by its parser through a real stream.
template <typename Write, typename Check>
void round_trip(Write write, Check check) {
  JsonBuf j;
  write(j);
  TempFd f(stream_of({j.str()}));
  Reader r(f.fd(), "rt");
  ASSERT_TRUE(r.next());
  check(r);
  EXPECT_FALSE(r.next());
}

TEST(Protocol, RowRecordsAreBuiltInPlaceAndParsed) {
  RowWriter w("user \"x\"");
  const Hash128 kh{1, 2}, h{3, 4};
  for (int n = 0; n < 2; ++n) {  // the writer is reused row after row
    JsonBuf& v = w.begin();
    v.integer(n);
    w.next_value();
    v.text("a\nb");
    const std::string line = w.finish(kh, h);
    EXPECT_EQ(line, R"({"t":"row","table":"user \"x\"","kh":"00000000000000010000000000000002",)"
                    R"("h":"00000000000000030000000000000004","v":[)" +
                        std::to_string(n) + R"(,"a\nb"]})");
    TempFd f(stream_of({line}));
    Reader r(f.fd(), "row");
    ASSERT_TRUE(r.next());
    EXPECT_EQ(record_type(r), RecordType::Row);
    auto head = parse_row(r);
    EXPECT_EQ(head.table, "user \"x\"");
    EXPECT_EQ(head.kh, kh);
    EXPECT_EQ(head.h, h);
    EXPECT_EQ(row_values_json(r), "[" + std::to_string(n) + R"(,"a\nb"])");
    Row v2;
    ASSERT_TRUE(row_values(r, v2));
    EXPECT_EQ(v2, (Row{Value::integer(n), Value::text("a\nb")}));
    Row key;
    std::size_t width = 0;
    ASSERT_TRUE(row_values_at(r, {1}, key, width));
    EXPECT_EQ(width, 2u);
    EXPECT_EQ(key, Row{Value::text("a\nb")});
  }
}

TEST(Protocol, TableSummaryRecordsRoundTrip) {
  AbsentKeys a{"chat", {Hash128{1, 1}, Hash128{2, 2}}};
  round_trip([&](JsonBuf& j) { write_absent_keys(j, a); },
             [&](Reader& r) {
               EXPECT_EQ(record_type(r), RecordType::AbsentKeys);
               auto back = parse_absent_keys(r);
               EXPECT_EQ(back.table, "chat");
               EXPECT_EQ(back.kh, a.kh);
             });
  Unchanged u{"chat", 7, 2, Hash128{9, 9}};
  round_trip([&](JsonBuf& j) { write_unchanged(j, u); },
             [&](Reader& r) {
               EXPECT_EQ(record_type(r), RecordType::Unchanged);
               auto back = parse_unchanged(r);
               EXPECT_EQ(back.table, "chat");
               EXPECT_EQ(back.rows, 7u);
               EXPECT_EQ(back.absent, 2u);
               EXPECT_EQ(back.digest, u.digest);
             });
  round_trip([&](JsonBuf& j) { write_table_end(j, {"chat", 12}); },
             [&](Reader& r) {
               EXPECT_EQ(record_type(r), RecordType::TableEnd);
               auto back = parse_table_end(r);
               EXPECT_EQ(back.table, "chat");
               EXPECT_EQ(back.rows, 12u);
             });
  TempFd f(stream_of({R"({"t":"unchanged","table":"c","rows":-1,"digest":"00000000000000000000000000000000",)"
                      R"("absent":0})"}));
  Reader r(f.fd(), "neg");
  ASSERT_TRUE(r.next());
  EXPECT_THROW(parse_unchanged(r), InputError);
}

TEST(Protocol, DecisionRoundTripAndConflictLogEntry) {
  Decision d;
  d.table = "chat";
  d.kind = "update_update";
  d.strategy = "newest_wins";
  d.resolution = "source";
  d.resolved_by = "sync-resolve";
  d.note = "newer";
  d.kh = Hash128{1, 1};
  d.h = Hash128{2, 2};
  d.k = {Value::text("c1")};
  round_trip([&](JsonBuf& j) { write_decision(j, d); },
             [&](Reader& r) {
               EXPECT_EQ(record_type(r), RecordType::Decision);
               auto back = parse_decision(r);
               EXPECT_EQ(back.table, d.table);
               EXPECT_EQ(back.kind, d.kind);
               EXPECT_EQ(back.strategy, d.strategy);
               EXPECT_EQ(back.resolution, d.resolution);
               EXPECT_EQ(back.note, d.note);
               EXPECT_EQ(back.h, d.h);
               EXPECT_FALSE(back.target_h);
               EXPECT_EQ(back.k, d.k);
               EXPECT_FALSE(back.snapshot);  // without include_snapshot: no rows
             });
  d.snapshot = true;
  d.target = Row{Value::text("c1"), Value::integer(5)};
  JsonBuf e;
  write_conflict_log_entry(e, d);
  EXPECT_EQ(e.str(), R"({"table_name":"chat","row_key":"[\"c1\"]","key_hash":"00000000000000010000000000000001",)"
                     R"("conflict_type":"update_update","resolution_strategy":"newest_wins","resolution":"source",)"
                     R"("resolved_by":"sync-resolve","note":"newer","source_data":null,)"
                     R"("target_data":"[\"c1\",5]","source_hash":"00000000000000020000000000000002",)"
                     R"("target_hash":""})");
  // Every key of the entry is a column of the recordset sync-load expands it with.
  for (std::string_view key : {"table_name", "row_key", "key_hash", "conflict_type", "resolution_strategy",
                               "resolution", "resolved_by", "note", "source_data", "target_data", "source_hash",
                               "target_hash"}) {
    EXPECT_NE(kConflictLogColumns.find(key), std::string_view::npos) << key;
    EXPECT_NE(kConflictLogRecordset.find(std::string(key) + " text"), std::string_view::npos) << key;
  }
}

TEST(Protocol, AConflictNoResolverDecidedIsUnresolved) {
  Conflict c;
  c.kind = "delete_update";
  c.table = "t";
  c.kh = Hash128{1, 1};
  c.k = {Value::integer(1)};
  c.target = Row{Value::integer(1)};
  c.target_h = Hash128{4, 4};
  Decision d = undecided(std::move(c));
  EXPECT_EQ(d.resolution, "unresolved");
  EXPECT_EQ(d.strategy, "none");
  EXPECT_EQ(d.resolved_by, "");
  EXPECT_TRUE(d.snapshot);
  EXPECT_FALSE(d.source);
  EXPECT_EQ(d.target, Row{Value::integer(1)});
  EXPECT_EQ(d.target_h, (Hash128{4, 4}));
}

TEST(Protocol, SettlementStoredInConflictLog) {
  Settlement s{"value", {Value::integer(1), Value::blob("\x01")}, "alice", std::nullopt};
  auto json = settlement_json(s);
  EXPECT_EQ(json, R"({"settled":"value","settled_v":[1,{"blob":"AQ=="}],"settled_by":"alice"})");
  auto back = parse_settlement_json(json, 42);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->take, "value");
  EXPECT_EQ(back->v, s.v);
  EXPECT_EQ(back->by, "alice");
  EXPECT_EQ(back->id, 42);
  EXPECT_FALSE(parse_settlement_json("not json", 1));  // written by hand: ignored, as before
  EXPECT_FALSE(parse_settlement_json(R"({"other":1})", 1));
  EXPECT_THROW(parse_settlement_json(R"({"settled":"value","settled_v":[{"blob":"!"}]})", 1), InputError);
}

TEST(Protocol, RecordTypesAndTrailer) {
  for (auto t : {RecordType::Row, RecordType::Table, RecordType::TableEnd, RecordType::Unchanged,
                 RecordType::AbsentKeys, RecordType::Change, RecordType::Conflict, RecordType::Decision,
                 RecordType::Base, RecordType::Lease, RecordType::Header}) {
    TempFd f(stream_of({std::string(R"({"t":")") + record_type_name(t) + "\"}"}));
    Reader r(f.fd(), "types");
    ASSERT_TRUE(r.next());
    EXPECT_EQ(record_type(r), t) << record_type_name(t);
  }
  TempFd f(stream_of({R"({"t":"future_thing"})"}));
  Reader r(f.fd(), "types");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(record_type(r), RecordType::Other);
  std::string t;
  write_trailer(t, {3, "ab"});
  EXPECT_EQ(t, R"({"t":"trailer","records":3,"checksum":"ab"})");
  EXPECT_TRUE(is_trailer("trailer"));
}

// ---------------------------------------------------------------- JSON check (json columns)

TEST(JsonCheck, AcceptsWhatPostgresJsonAccepts) {
  for (const char* ok : {"{}", "[]", " \t\r\n{ } ", "0", "-0.5e+10", "1E-2", "123456789012345678901234567890",
                         "1e400", R"("")", R"("\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t")", "true", "false", "null",
                         R"({"a":[1,{"b":null},"x"],"c":{}})", R"([[[[]]],[{}]])", "\"caf\xc3\xa9\"",
                         R"({"":""})", R"("\u0000")", R"("\ud83d")", R"("\ude00\ud83dx")"})
    EXPECT_TRUE(is_valid_json(ok)) << ok;
}

TEST(JsonCheck, RefusesWhatPostgresJsonRefuses) {
  for (const char* bad : {"", " ", "{", "}", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "[1 2]",
                          "01", "-", "1.", ".5", "1e", "+1", "tru", "truex", "nul", "[true false]", "'a'",
                          "\"a", "\"\\x\"", "\"\\u12\"", "\"\\u12x4\"",
                          "\"tab\there\"", "[1]]", "[1]x", "{}{}", "\"\xff\"", "[\"\xc3\"]"})
    EXPECT_FALSE(is_valid_json(bad)) << bad;
  EXPECT_FALSE(is_valid_json("\"a\0b\""s));
}

TEST(JsonCheck, DepthIsBounded) {
  EXPECT_TRUE(is_valid_json(std::string(1024, '[') + std::string(1024, ']')));
  EXPECT_FALSE(is_valid_json(std::string(1025, '[') + std::string(1025, ']')));
  EXPECT_FALSE(is_valid_json(std::string(100000, '[')));
}

TEST(JsonCheck, ThirtyMegabyteDocument) {
  std::string doc = R"({"messages":[)";
  while (doc.size() < (30u << 20)) doc += R"({"role":"user","content":"caf\u00e9 \"q\" \ud83d\ude00 x","n":-1.5e3},)";
  doc += "null]}";
  EXPECT_TRUE(is_valid_json(doc));
  doc[doc.size() - 3] = ',';
  EXPECT_FALSE(is_valid_json(doc));
}

TEST(ValueCodec, LargeStringsDecodedFromTheLineMatchSimdjson) {
  // Strings of 64 KiB and more are unescaped from the line, smaller ones by
  // simdjson: both give the same bytes for every escape form, BMP code points
  // at the UTF-8 length boundaries, upper case hex, surrogate pairs (left to
  // simdjson), with white space after the token.
  for (std::size_t pad : {std::size_t{0}, std::size_t{70000}}) {
    std::string p(pad, 'p');
    TempFd f(stream_of({R"({"t":"row","v":[ ")" + p + R"(a\u0041\u00E9\u07ff\u0800\uFFFF\ud83d\ude00" , ")" + p +
                        R"(\\\"\/" ,"", ")" + p + R"(x\u0000y\n" ]})"}));
    Reader r(f.fd(), "esc");
    ASSERT_TRUE(r.next());
    Row v;
    r.values("v", v);
    EXPECT_EQ(v, (Row{Value::text(p + "aA\xc3\xa9\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x9f\x98\x80"), Value::text(p + "\\\"/"),
                      Value::text(""), Value::text(p + "x\0y\n"s)}))
        << pad;
    for (std::string bad : {R"(\x)", R"(\u12)", R"(\u12g4)", R"(\ud83d)", R"(\ud83dx)"})
      expect_input_error([&] { decode_one("\"" + p + bad + "\""); }, {"d:1"});
  }
}
