// A one-dimensional array bound as ONE parameter in PostgreSQL's binary
// array format (what array_recv reads): the server unpacks it with
// unnest() much faster than it parses the same rows as JSON or text, and a
// bytea element passes unchanged. sync-load sends the base state of a batch
// this way (sync_metadata has row-level security, so COPY FROM is refused).
//
//   BinaryArray keys(Param::kByteaOid);
//   keys.add(kh.bytes());
//   conn.exec_params("... unnest($1::bytea[]) ...", {keys.param()});
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pg/param.hpp"

namespace syncpipe::pg {

class BinaryArray {
 public:
  // element_oid: Param::kTextOid or Param::kByteaOid (the array types
  // text[] and bytea[] are known for these).
  explicit BinaryArray(unsigned int element_oid);

  // REQUIRES for text elements: no NUL byte (PostgreSQL text cannot hold one).
  void add(std::string_view element);
  void add_null();
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return elements_.size(); }
  void clear();
  // The array (header + elements), typed text[] or bytea[].
  Param param() const;

 private:
  unsigned int element_oid_;
  std::string elements_;
  std::size_t count_ = 0;
  bool has_null_ = false;
};

}  // namespace syncpipe::pg
