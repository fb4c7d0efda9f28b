// Inputs the libFuzzer targets of tests/fuzz found crashing, each kept as a
// test of the behaviour that replaced the crash: a clear InputError.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader.hpp"

using namespace syncpipe;
using namespace syncpipe::ndjson;

namespace {

ByteSource bytes_of(std::string_view in) {
  return [in, pos = std::size_t{0}](char* dst, std::size_t n) mutable {
    const std::size_t k = std::min(n, in.size() - pos);
    std::memcpy(dst, in.data() + pos, k);
    pos += k;
    return k;
  };
}

template <typename F>
void expect_bad_input(F body, std::string_view needle) {
  try {
    body();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string_view(e.what()).find(needle), std::string_view::npos) << e.what();
    EXPECT_EQ(e.code(), exit_code::kBadInput);
  }
}

// A record that ends inside a column object. Looking for a field in it makes
// simdjson abandon the document (its parser pointer becomes null); the next
// field read dereferenced that null pointer (SIGSEGV). Found by the fuzz
// targets protocol (parse_table reading "key" after the columns) and
// ndjson_reader (one accessor after another).
constexpr std::string_view kDeadDocument =
    R"({"t":"table","table":"x","columns":[{"name":"id","decl":"TEXT","notnull":true,"pk":1,"dflt":})"
    "\n";

// A column object broken after its last field ("dflt":"," then a stray string
// and brackets). Reading "key" after the columns made simdjson search the
// record again from its first field, assuming it valid, and fail an assertion
// there: the tool aborted (SIGABRT). Found by the protocol target in CI.
constexpr std::string_view kBrokenColumn =
    R"({"t":"table","table":"tag","columns":[{"name":"id","decl":"TEXT","notnull":true,"pk":1,"dflt":null},)"
    R"({"name":"n","decl":"INTEGER","notnull":false,"pk":0,"dflt":",""]}0k25393aabbccddeeff"]})"
    "\n";

}  // namespace

// A record whose structure breaks inside an array is refused, not an abort.
TEST(FuzzRegression, FieldAfterABrokenArrayIsRefused) {
  Reader r(bytes_of(kBrokenColumn), "fz");
  ASSERT_TRUE(r.next());
  expect_bad_input([&] { parse_table(r); }, "fz:1:");
}

// One field read fails on the dead document; every later one must fail too.
TEST(FuzzRegression, FieldAfterAFailedFieldIsRefused) {
  Reader r(bytes_of(kDeadDocument), "fz");
  ASSERT_TRUE(r.next());
  expect_bad_input([&] { r.opt_int64("n"); }, "fz:1:");
  expect_bad_input([&] { r.boolean("adhoc", false); }, "fz:1:");
  expect_bad_input([&] { r.opt_str("key_source"); }, "fz:1:");
}
