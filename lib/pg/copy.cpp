#include "pg/copy.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "pg/check.hpp"
#include "pg/copy_format.hpp"

namespace syncpipe::pg {
namespace {

constexpr std::size_t kMaxMessage = 16u << 20;  // one PQputCopyData call

std::string column_list(const Connection& conn, const std::vector<std::string>& columns) {
  if (columns.empty()) return {};
  std::string out = " (";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += conn.quote_ident(columns[i]);
  }
  return out + ")";
}

// After a failed PQputCopyData/PQputCopyEnd: throw the server's error if it
// sent one, else libpq's.
[[noreturn]] void throw_copy_error(PGconn* conn) {
  const Result res = detail::drain(conn);
  if (res) detail::ensure_ok(conn, res.native());
  detail::throw_error(conn, nullptr);
}

}  // namespace

CopyIn::CopyIn(Connection& conn, std::string_view schema, std::string_view table,
               const std::vector<std::string>& columns, Format format, std::size_t chunk_bytes)
    : conn_(conn), format_(format), chunk_(chunk_bytes) {
  conn_.exec_sql("COPY " + conn_.quote_qualified(schema, table) + column_list(conn_, columns) +
                 " FROM STDIN" + (format_ == Format::kBinary ? " (FORMAT binary)" : ""));
  buf_.reserve(chunk_ + (chunk_ >> 2));
  if (format_ == Format::kBinary) copy_binary::append_header(buf_);
}

CopyIn::~CopyIn() {
  if (!done_) abort("COPY abandoned before it was finished");
}

void CopyIn::begin_field() {
  if (format_ == Format::kBinary) {
    if (fields_ == 0) {
      row_start_ = buf_.size();
      copy_binary::append_int16(buf_, 0);  // field count, patched by end_row()
    }
  } else if (fields_ > 0) {
    buf_ += '\t';
  }
  ++fields_;
}

void CopyIn::add_text(std::string_view value) {
  begin_field();
  if (format_ == Format::kBinary) {
    copy_binary::append_field(buf_, value);
  } else {
    copy_text::append_field(buf_, value);
  }
}

void CopyIn::add_bytes(std::string_view bytes) {
  begin_field();
  if (format_ == Format::kBinary) {
    copy_binary::append_field(buf_, bytes);
  } else {
    copy_text::append_bytea_hex(buf_, bytes);
  }
}

void CopyIn::add_int64(std::int64_t value) {
  begin_field();
  if (format_ == Format::kBinary) {
    copy_binary::append_int32(buf_, 8);
    copy_binary::append_int64(buf_, value);
  } else {
    char tmp[24];
    const auto res = std::to_chars(tmp, tmp + sizeof tmp, value);
    buf_.append(tmp, res.ptr);
  }
}

void CopyIn::add_null() {
  begin_field();
  if (format_ == Format::kBinary) {
    copy_binary::append_null(buf_);
  } else {
    copy_text::append_null(buf_);
  }
}

void CopyIn::add_raw(std::string_view field) {
  begin_field();
  if (format_ == Format::kBinary) {
    copy_binary::append_field(buf_, field);
  } else {
    buf_.append(field);
  }
}

void CopyIn::end_row() {
  if (format_ == Format::kBinary) {
    buf_[row_start_] = static_cast<char>((fields_ >> 8) & 0xff);
    buf_[row_start_ + 1] = static_cast<char>(fields_ & 0xff);
  } else {
    buf_ += '\n';
  }
  fields_ = 0;
  ++rows_;
  if (buf_.size() >= chunk_) flush();
}

void CopyIn::add_rows(std::string_view rows) {
  if (format_ != Format::kText || fields_ != 0) throw RuntimeError("add_rows needs text format between rows");
  if (buf_.empty() && rows.size() >= chunk_) {
    for (std::size_t pos = 0; pos < rows.size(); pos += kMaxMessage) put(rows.substr(pos, kMaxMessage));
    return;
  }
  buf_.append(rows);
  if (buf_.size() >= chunk_) flush();
}

void CopyIn::rows_added(std::int64_t n) {
  if (format_ != Format::kText || fields_ != 0) throw RuntimeError("rows_added needs text format between rows");
  rows_ += n;
  if (buf_.size() >= chunk_) flush();
}

void CopyIn::flush_if_full() {
  if (format_ != Format::kText) throw RuntimeError("flush_if_full needs text format");
  if (buf_.size() >= chunk_) flush();
}

void CopyIn::put(std::string_view data) {
  const int n = static_cast<int>(data.size());
  if (PQputCopyData(conn_.native(), data.data(), n) != 1) throw_copy_error(conn_.native());
}

void CopyIn::flush() {
  const std::string_view all(buf_);
  for (std::size_t pos = 0; pos < all.size(); pos += kMaxMessage) {
    put(all.substr(pos, kMaxMessage));
  }
  buf_.clear();
  if (buf_.capacity() > 2 * chunk_) buf_.shrink_to_fit();  // after a huge row
}

std::int64_t CopyIn::finish() {
  if (done_) throw RuntimeError("COPY already finished");
  if (fields_ != 0) throw RuntimeError("COPY finished in the middle of a row");
  if (format_ == Format::kBinary) copy_binary::append_trailer(buf_);
  flush();
  done_ = true;
  if (PQputCopyEnd(conn_.native(), nullptr) != 1) throw_copy_error(conn_.native());
  const Result res = detail::drain(conn_.native());
  detail::ensure_ok(conn_.native(), res.native());
  return res.affected_rows();
}

void CopyIn::abort(const std::string& reason) noexcept {
  if (done_) return;
  done_ = true;
  buf_.clear();
  // The server answers with an error (57014) that we expect and drop.
  if (PQputCopyEnd(conn_.native(), reason.c_str()) == 1) detail::drain(conn_.native());
}

CopyOut::CopyOut(Connection& conn, const std::string& copy_sql) : conn_(conn) {
  const Result res = conn_.exec_sql(copy_sql);
  if (PQresultStatus(res.native()) != PGRES_COPY_OUT) {
    done_ = true;
    throw RuntimeError("CopyOut needs a COPY ... TO STDOUT statement");
  }
}

CopyOut::~CopyOut() {
  release();
  if (done_) return;
  char* piece = nullptr;
  while (PQgetCopyData(conn_.native(), &piece, 0) >= 0) PQfreemem(piece);
  detail::drain(conn_.native());
}

void CopyOut::release() {
  if (row_) PQfreemem(row_);
  row_ = nullptr;
}

bool CopyOut::next(std::string_view& row) {
  release();
  if (done_) return false;
  const int n = PQgetCopyData(conn_.native(), &row_, 0);
  if (n >= 0) {
    row = std::string_view(row_, static_cast<std::size_t>(n));
    return true;
  }
  done_ = true;
  const Result res = detail::drain(conn_.native());
  if (n == -2 && !res) detail::throw_error(conn_.native(), nullptr);
  detail::ensure_ok(conn_.native(), res.native());
  return false;
}

}  // namespace syncpipe::pg
