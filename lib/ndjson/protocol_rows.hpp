// The per-row records of sync-protocol(7) and those that close a table:
//   {"t":"row","table":T,"kh":KH,"h":H,"v":[...]}          sync-snapshot, per row
//   {"t":"absent_keys","table":T,"kh":[KH,...]}            --skip-unchanged, cache keys not seen
//   {"t":"unchanged","table":T,"rows":N,"digest":D,"absent":N}  --skip-unchanged, rows skipped
//   {"t":"table_end","table":T,"rows":N}
// Row records are the hot path: RowWriter builds one in place and the parse
// side leaves "v" to the caller (decoded, partly decoded or as its bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.hpp"
#include "core/value.hpp"
#include "ndjson/json_out.hpp"

namespace syncpipe::ndjson {

class Reader;

// Builds row records of one table:
//   RowWriter w(table);
//   JsonBuf& v = w.begin();  // then each value: w.next_value() before all but the first, v.integer(...) ...
//   out.line(w.finish(kh, h));
class RowWriter {
 public:
  explicit RowWriter(std::string_view table);
  JsonBuf& begin();
  void next_value() { rec_.raw(","); }
  // The hashes precede "v" but are known only after the values were
  // written: they are patched into fixed-width placeholders.
  const std::string& finish(const Hash128& kh, const Hash128& h);

 private:
  JsonBuf rec_;
  std::string head_;
  std::size_t kh_at_ = 0, h_at_ = 0;
};

// The fields of a row record before "v" (valid until the reader moves on).
struct RowHead {
  std::string_view table;
  Hash128 kh, h;
};
RowHead parse_row(Reader& r);
// "v" decoded; false when missing or null.
bool row_values(Reader& r, Row& out);
// Only the values at positions `at` of "v" (e.g. the key); `count` receives
// the row's width.
bool row_values_at(Reader& r, const std::vector<std::size_t>& at, Row& out, std::size_t& count);
// "v" as the JSON text it is in the line. REQUIRES: "v" is present.
std::string_view row_values_json(Reader& r);

// Cache keys of a table that no source row matched, in chunks.
inline constexpr std::size_t kAbsentChunk = 4096;  // keys per record (about 35 bytes each)
struct AbsentKeys {
  std::string table;
  std::vector<Hash128> kh;
};
void write_absent_keys(JsonBuf& j, const AbsentKeys& a);
AbsentKeys parse_absent_keys(Reader& r);

struct Unchanged {
  std::string table;
  std::uint64_t rows = 0, absent = 0;  // absent: keys named by the table's absent_keys records
  Hash128 digest;                      // SetDigest of the skipped rows' (kh, h)
};
void write_unchanged(JsonBuf& j, const Unchanged& u);
Unchanged parse_unchanged(Reader& r);

struct TableEnd {
  std::string table;
  std::uint64_t rows = 0;
};
void write_table_end(JsonBuf& j, const TableEnd& e);
TableEnd parse_table_end(Reader& r);

}  // namespace syncpipe::ndjson
