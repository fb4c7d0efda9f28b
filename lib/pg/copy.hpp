// Bulk transfer with COPY. CopyIn buffers rows and sends them in chunks of
// about chunk_bytes (memory stays bounded by one chunk plus one row); a COPY
// that is not finished is ended with PQputCopyEnd(conn, reason) so the server
// discards everything it received, never with a NULL reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"

namespace syncpipe::pg {

class CopyIn {
 public:
  static constexpr std::size_t kChunkBytes = 8u << 20;

  // COPY schema.table (columns) FROM STDIN, text format; all names are
  // quoted here. Empty schema: unqualified; empty columns: every column in
  // table order.
  CopyIn(Connection& conn, std::string_view schema, std::string_view table,
         const std::vector<std::string>& columns, std::size_t chunk_bytes = kChunkBytes);
  ~CopyIn();  // abandons the COPY (server discards it) unless finish() ran
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  // Whole rows already in COPY text form (copy_format.hpp), each ended by "\n".
  void add_rows(std::string_view rows);
  // To build rows in place (no copy): append whole rows, each ended by
  // "\n", to text_buffer(), then call rows_added(n).
  std::string& text_buffer() { return buf_; }
  void rows_added(std::int64_t n);
  // Sends the buffer if it is full, even in the middle of a row (COPY data
  // need not end at a row), so a huge field can be appended in slices
  // without ever being whole in memory.
  void flush_if_full();

  // Sends the rest, ends the COPY and checks the server's verdict.
  // Returns the number of rows the server stored.
  std::int64_t finish();
  // Ends the COPY with `reason`; the server discards the data. Never throws.
  void abort(const std::string& reason) noexcept;

  std::int64_t rows_sent() const { return rows_; }

 private:
  void flush();
  void put(std::string_view data);

  Connection& conn_;
  std::size_t chunk_;
  std::string buf_;
  std::int64_t rows_ = 0;
  bool done_ = false;
};

}  // namespace syncpipe::pg
