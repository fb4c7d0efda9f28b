// The result of one command. Owns the libpq PGresult; values returned as
// string_view are valid only while this Result lives.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

struct pg_result;  // libpq's PGresult, kept out of callers' headers

namespace syncpipe::pg {

class Result {
 public:
  Result() = default;
  explicit Result(pg_result* res) : res_(res) {}

  int ntuples() const;
  int nfields() const;

  // REQUIRES: 0 <= r < ntuples(), 0 <= c < nfields() (all accessors below).
  bool is_null(int r, int c) const;
  // The value's bytes with their exact length (binary results may hold NULs).
  // An SQL NULL reads as "". Valid until this Result is destroyed.
  std::string_view get(int r, int c) const;
  // Text (decimal) or binary (int2/int4/int8) integer. Throws on NULL or junk.
  std::int64_t get_int64(int r, int c) const;

  unsigned int field_type(int c) const;  // type OID
  std::string_view field_name(int c) const;
  // Rows touched by INSERT/UPDATE/DELETE/COPY/...; 0 if not applicable.
  std::int64_t affected_rows() const;

  pg_result* native() const { return res_.get(); }
  explicit operator bool() const { return res_ != nullptr; }

 private:
  struct Deleter {
    void operator()(pg_result* res) const;
  };
  std::unique_ptr<pg_result, Deleter> res_;
};

}  // namespace syncpipe::pg
