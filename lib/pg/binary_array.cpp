#include "pg/binary_array.hpp"

#include <cstdint>
#include <limits>

#include "core/error.hpp"

namespace syncpipe::pg {

namespace {

constexpr unsigned int kTextArrayOid = 1009;
constexpr unsigned int kByteaArrayOid = 1001;

// PostgreSQL's binary forms are big-endian.
void append_int32(std::string& buf, std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) buf += static_cast<char>((u >> shift) & 0xff);
}

unsigned int array_oid(unsigned int element_oid) {
  if (element_oid == Param::kTextOid) return kTextArrayOid;
  if (element_oid == Param::kByteaOid) return kByteaArrayOid;
  throw RuntimeError("BinaryArray: only text and bytea elements are supported");
}

}  // namespace

BinaryArray::BinaryArray(unsigned int element_oid) : element_oid_(element_oid) { array_oid(element_oid); }

void BinaryArray::add(std::string_view element) {
  if (element.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw RuntimeError("BinaryArray: element over 2 GB");
  append_int32(elements_, static_cast<std::int32_t>(element.size()));
  elements_.append(element);
  ++count_;
}

void BinaryArray::add_null() {
  append_int32(elements_, -1);
  has_null_ = true;
  ++count_;
}

void BinaryArray::clear() {
  elements_.clear();
  count_ = 0;
  has_null_ = false;
}

Param BinaryArray::param() const {
  std::string out;
  out.reserve(20 + elements_.size());
  append_int32(out, count_ ? 1 : 0);  // dimensions (0: the empty array)
  append_int32(out, has_null_ ? 1 : 0);
  append_int32(out, static_cast<std::int32_t>(element_oid_));
  if (count_) {
    append_int32(out, static_cast<std::int32_t>(count_));
    append_int32(out, 1);  // lower bound
    out.append(elements_);
  }
  return {std::move(out), true, array_oid(element_oid_)};
}

}  // namespace syncpipe::pg
