// libFuzzer target: lib/ndjson's Reader over arbitrary bytes. Every accessor
// either answers or throws syncpipe::Error (InputError); anything else (a
// crash, a sanitizer report, another exception) is a bug.
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "fuzz_input.hpp"
#include "ndjson/reader.hpp"

namespace {

template <typename F>
void answers_or_refuses(F f) {
  try {
    f();
  } catch (const syncpipe::Error&) {
  }
}

void read_fields(syncpipe::ndjson::Reader& r) {
  syncpipe::Row row;
  std::size_t count = 0;
  answers_or_refuses([&] { r.type(); });
  answers_or_refuses([&] { r.opt_str("table"); });
  answers_or_refuses([&] { r.opt_int64("n"); });
  answers_or_refuses([&] { r.boolean("adhoc", false); });
  answers_or_refuses([&] { r.opt_hash("kh"); });
  answers_or_refuses([&] { r.values("v", row); });
  answers_or_refuses([&] { r.values_at("k", {1, 0, 5}, row, count); });
  answers_or_refuses([&] { r.raw("v"); });
  answers_or_refuses([&] { r.raw("columns"); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace syncpipe;
  try {
    ndjson::Reader r(fuzz::chunked(fuzz::as_text(data, size)), "fuzz", fuzz::kMaxRecord);
    while (r.next()) read_fields(r);
  } catch (const Error&) {
  }
  return 0;
}
