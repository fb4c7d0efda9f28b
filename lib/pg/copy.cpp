#include "pg/copy.hpp"

#include <libpq-fe.h>

#include <algorithm>

#include "core/error.hpp"
#include "pg/check.hpp"

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
               const std::vector<std::string>& columns, std::size_t chunk_bytes)
    : conn_(conn), chunk_(chunk_bytes) {
  conn_.exec_sql("COPY " + conn_.quote_qualified(schema, table) + column_list(conn_, columns) + " FROM STDIN");
  buf_.reserve(chunk_ + (chunk_ >> 2));
}

CopyIn::~CopyIn() {
  if (!done_) abort("COPY abandoned before it was finished");
}

void CopyIn::add_rows(std::string_view rows) {
  if (buf_.empty() && rows.size() >= chunk_) {
    for (std::size_t pos = 0; pos < rows.size(); pos += kMaxMessage) put(rows.substr(pos, kMaxMessage));
    return;
  }
  buf_.append(rows);
  if (buf_.size() >= chunk_) flush();
}

void CopyIn::rows_added(std::int64_t n) {
  rows_ += n;
  if (buf_.size() >= chunk_) flush();
}

void CopyIn::flush_if_full() {
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

}  // namespace syncpipe::pg
