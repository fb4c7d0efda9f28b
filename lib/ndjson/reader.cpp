#include "ndjson/reader.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader_impl.hpp"

namespace syncpipe::ndjson {

namespace sj = simdjson;

namespace {
constexpr std::size_t kBigRecord = 4u << 20;  // after such a record the parser's buffers are released
}

Reader::Reader(int fd, std::string name, std::size_t max_record)
    : impl_(std::make_unique<Impl>(fd, std::move(name), max_record)) {}

Reader::Reader(ByteSource source, std::string name, std::size_t max_record)
    : impl_(std::make_unique<Impl>(std::move(source), std::move(name), max_record)) {}

Reader::~Reader() = default;

void Reader::fail(std::string_view why) const {
  throw InputError(fmt::format("{}:{}: {}", impl_->lines.name(), impl_->lines.line_no(), why));
}

namespace {

void verify_trailer(Reader& r, Reader::Impl& im) {
  auto t = parse_trailer(r);
  if (t.records != im.count) r.fail(fmt::format("trailer says {} records, the stream had {}", t.records, im.count));
  if (t.checksum != im.sum.hex()) r.fail("trailer checksum does not match the stream (corrupted in transit)");
  std::string_view extra;
  if (im.lines.next(extra)) r.fail("data after the trailer");
}

}  // namespace

bool Reader::next() {
  auto& im = *impl_;
  if (im.done) return false;
  std::string_view l;
  if (!im.lines.next(l))
    throw InputError(fmt::format("{}:{}: truncated stream: input ended after {} records without a trailer",
                                 im.lines.name(), im.lines.line_no() + 1, im.count));
  if (im.current.size() > kBigRecord && l.size() <= kBigRecord) im.parser = simdjson::ondemand::parser{};  // free its buffers
  im.current = l;
  auto err = im.parser.iterate(l.data(), l.size(), im.lines.capacity_after(l.data())).get(im.doc);
  if (err) fail(fmt::format("not a JSON record: {}", sj::error_message(err)));
  if (auto e = find_any_order(im.doc, "t").get_string().get(im.type)) {
    // simdjson finds some malformed lines (one cut short inside an object) only while it reads them
    if (e != sj::NO_SUCH_FIELD && e != sj::INCORRECT_TYPE) fail(fmt::format("not a JSON record: {}", sj::error_message(e)));
    fail(fmt::format("record without a string field \"t\": {}", sj::error_message(e)));
  }
  if (is_trailer(im.type)) {
    verify_trailer(*this, im);
    im.done = true;
    return false;
  }
  im.sum.update(l);
  im.sum.update("\n");
  ++im.count;
  return true;
}

std::string_view Reader::line() const { return impl_->current; }
std::size_t Reader::line_no() const { return impl_->lines.line_no(); }
std::uint64_t Reader::bytes_read() const { return impl_->lines.bytes_read(); }
std::string_view Reader::type() { return impl_->type; }

bool Reader::Impl::present(std::string_view name, sj::ondemand::value& out, const Reader& r) {
  // An earlier error may have left the document abandoned: reading it again dereferences null.
  if (!doc.is_alive()) r.fail(fmt::format("field \"{}\": malformed record", name));
  auto res = find_any_order(doc, name);
  if (res.error() == sj::NO_SUCH_FIELD) return false;
  if (res.error()) r.fail(fmt::format("field \"{}\": {}", name, sj::error_message(res.error())));
  out = res.value_unsafe();
  bool is_null = false;
  if (out.is_null().get(is_null)) r.fail(fmt::format("field \"{}\": malformed", name));
  return !is_null;
}

sj::ondemand::value Reader::Impl::field(std::string_view name, const Reader& r) {
  sj::ondemand::value v;
  if (!present(name, v, r)) r.fail(fmt::format("missing field \"{}\"", name));
  return v;
}

std::string_view Reader::str(std::string_view f) {
  std::string_view s;
  if (impl_->field(f, *this).get_string().get(s)) fail(fmt::format("field \"{}\" is not a string", f));
  return s;
}

std::optional<std::string_view> Reader::opt_str(std::string_view f) {
  sj::ondemand::value v;
  if (!impl_->present(f, v, *this)) return std::nullopt;
  std::string_view s;
  if (v.get_string().get(s)) fail(fmt::format("field \"{}\" is not a string", f));
  return s;
}

std::int64_t Reader::int64(std::string_view f) {
  std::int64_t i;
  if (impl_->field(f, *this).get_int64().get(i)) fail(fmt::format("field \"{}\" is not an integer", f));
  return i;
}

std::optional<std::int64_t> Reader::opt_int64(std::string_view f) {
  sj::ondemand::value v;
  if (!impl_->present(f, v, *this)) return std::nullopt;
  std::int64_t i;
  if (v.get_int64().get(i)) fail(fmt::format("field \"{}\" is not an integer", f));
  return i;
}

bool Reader::boolean(std::string_view f, bool if_missing) {
  sj::ondemand::value v;
  if (!impl_->present(f, v, *this)) return if_missing;
  bool b;
  if (v.get_bool().get(b)) fail(fmt::format("field \"{}\" is not a boolean", f));
  return b;
}

Hash128 Reader::hash(std::string_view f) {
  try {
    return Hash128::from_hex(str(f));
  } catch (const InputError& e) {
    fail(fmt::format("field \"{}\": {}", f, e.what()));
  }
}

std::optional<Hash128> Reader::opt_hash(std::string_view f) {
  auto s = opt_str(f);
  if (!s) return std::nullopt;
  try {
    return Hash128::from_hex(*s);
  } catch (const InputError& e) {
    fail(fmt::format("field \"{}\": {}", f, e.what()));
  }
}

namespace {

// Calls fn(index, element) for each element of the array field f; false if
// f is missing or null.
template <typename Fn>
bool each_element(Reader::Impl& im, const Reader& r, std::string_view f, Fn&& fn) {
  sj::ondemand::value v;
  if (!im.present(f, v, r)) return false;
  sj::ondemand::array arr;
  if (v.get_array().get(arr)) r.fail(fmt::format("field \"{}\" is not an array", f));
  std::size_t i = 0;
  for (auto elem : arr) {
    sj::ondemand::value ev;
    if (elem.get(ev)) r.fail(fmt::format("field \"{}\": malformed array", f));
    fn(i++, ev);
  }
  return true;
}

}  // namespace

bool Reader::values(std::string_view f, Row& out) {
  out.clear();
  return each_element(*impl_, *this, f, [&](std::size_t, sj::ondemand::value& ev) {
    out.push_back(decode_value(ev, *this));
  });
}

bool Reader::values_at(std::string_view f, const std::vector<std::size_t>& at, Row& out, std::size_t& count) {
  out.assign(at.size(), Value::null());
  count = 0;
  return each_element(*impl_, *this, f, [&](std::size_t n, sj::ondemand::value& ev) {
    for (std::size_t i = 0; i < at.size(); ++i)  // an element not wanted is skipped unread
      if (at[i] == n) {
        out[i] = decode_value(ev, *this);
        break;
      }
    count = n + 1;
  });
}

std::optional<std::string_view> Reader::raw(std::string_view f) {
  sj::ondemand::value v;
  if (!impl_->present(f, v, *this)) return std::nullopt;
  sj::ondemand::json_type t;
  if (v.type().get(t)) fail(fmt::format("field \"{}\": malformed", f));
  std::string_view s;
  sj::error_code err = sj::SUCCESS;
  if (t == sj::ondemand::json_type::array) {
    sj::ondemand::array a;
    err = v.get_array().get(a);
    if (!err) err = a.raw_json().get(s);  // moves past the array
  } else if (t == sj::ondemand::json_type::object) {
    sj::ondemand::object o;
    err = v.get_object().get(o);
    if (!err) err = o.raw_json().get(s);
  } else {
    s = v.raw_json_token();
  }
  if (err) fail(fmt::format("field \"{}\": {}", f, sj::error_message(err)));
  // Both end where the next token starts: drop the JSON white space before it.
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  bool closed = t == sj::ondemand::json_type::array    ? s.back() == ']'
                : t == sj::ondemand::json_type::object ? s.back() == '}'
                                                       : true;
  if (!closed) fail(fmt::format("field \"{}\": unbalanced brackets", f));
  return s;
}

}  // namespace syncpipe::ndjson
