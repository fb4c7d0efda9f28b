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

  // COPY schema.table (columns) FROM STDIN; all names are quoted here.
  // Empty schema: unqualified; empty columns: every column in table order.
  CopyIn(Connection& conn, std::string_view schema, std::string_view table,
         const std::vector<std::string>& columns, Format format = Format::kText,
         std::size_t chunk_bytes = kChunkBytes);
  ~CopyIn();  // abandons the COPY (server discards it) unless finish() ran
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  // Fields of the current row, in column order. REQUIRES for add_text: no NUL.
  void add_text(std::string_view value);
  void add_bytes(std::string_view bytes);  // a bytea column
  void add_int64(std::int64_t value);      // an int8 column (or any integer column in text format)
  void add_null();
  // Text format: bytes already COPY-escaped. Binary: the type's binary form.
  void add_raw(std::string_view field);
  void end_row();
  // Text format only: whole rows already in COPY text form, each ended by
  // "\n". REQUIRES: not in the middle of a row.
  void add_rows(std::string_view rows);
  // Text format only, to build rows in place (no copy): append whole rows,
  // each ended by "\n", to text_buffer(), then call rows_added(n).
  // REQUIRES: not in the middle of a row.
  std::string& text_buffer() { return buf_; }
  void rows_added(std::int64_t n);
  // Text format: sends the buffer if it is full, even in the middle of a row
  // (COPY data need not end at a row), so a huge field can be appended in
  // slices without ever being whole in memory.
  void flush_if_full();

  // Sends the rest, ends the COPY and checks the server's verdict.
  // Returns the number of rows the server stored.
  std::int64_t finish();
  // Ends the COPY with `reason`; the server discards the data. Never throws.
  void abort(const std::string& reason) noexcept;

  std::int64_t rows_sent() const { return rows_; }

 private:
  void begin_field();
  void flush();
  void put(std::string_view data);

  Connection& conn_;
  Format format_;
  std::size_t chunk_;
  std::string buf_;
  std::size_t row_start_ = 0;
  int fields_ = 0;
  std::int64_t rows_ = 0;
  bool done_ = false;
};

// COPY ... TO STDOUT. In text format each next() is exactly one row (with
// its "\n"; split it with copy_text::split_row). In binary format the
// pieces are the server's CopyData messages, not necessarily rows.
class CopyOut {
 public:
  // REQUIRES: `copy_sql` is a COPY ... TO STDOUT statement.
  CopyOut(Connection& conn, const std::string& copy_sql);
  ~CopyOut();  // reads and drops what is left so the connection is usable
  CopyOut(const CopyOut&) = delete;
  CopyOut& operator=(const CopyOut&) = delete;

  // The next piece, valid until the next call. False at the end, after the
  // final status was checked (throws DbError/TempFailError on failure).
  bool next(std::string_view& row);

 private:
  void release();

  Connection& conn_;
  char* row_ = nullptr;
  bool done_ = false;
};

}  // namespace syncpipe::pg
