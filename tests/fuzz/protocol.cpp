// libFuzzer target: the record parsers of lib/ndjson/protocol* (read_head,
// every parse_* by record type, the row value accessors, parse_values_json)
// over arbitrary bytes. Each either returns a record or throws syncpipe::Error.
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "fuzz_input.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/reader.hpp"

namespace {

void parse_row_fully(syncpipe::ndjson::Reader& r) {
  using namespace syncpipe::ndjson;
  syncpipe::Row row;
  std::size_t count = 0;
  parse_row(r);
  row_values(r, row);
  row_values_at(r, {1, 0, 5}, row, count);
  if (r.raw("v")) row_values_json(r);
}

void parse_one(syncpipe::ndjson::Reader& r) {
  using namespace syncpipe::ndjson;
  switch (record_type(r)) {
    case RecordType::Row: parse_row_fully(r); break;
    case RecordType::Table: parse_table(r); break;
    case RecordType::TableEnd: parse_table_end(r); break;
    case RecordType::Unchanged: parse_unchanged(r); break;
    case RecordType::AbsentKeys: parse_absent_keys(r); break;
    case RecordType::Change: parse_change(r); break;
    case RecordType::Conflict: parse_conflict(r); break;
    case RecordType::Decision: parse_decision(r); break;
    case RecordType::Base: parse_base(r); break;
    case RecordType::Lease: parse_lease(r); break;
    case RecordType::Header: parse_header(r); break;
    case RecordType::SqliteSchema: parse_sqlite_schema(r); break;
    case RecordType::Other: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace syncpipe;
  const std::string_view in = fuzz::as_text(data, size);
  try {
    ndjson::parse_values_json(in.substr(in.empty() ? 0 : 1));
  } catch (const Error&) {
  }
  try {
    ndjson::parse_settlement_json(in.substr(in.empty() ? 0 : 1), 1);
  } catch (const Error&) {
  }
  try {
    ndjson::Reader r(fuzz::chunked(in), "fuzz", fuzz::kMaxRecord);
    ndjson::read_head(r, nullptr);
    while (r.next()) {
      try {
        parse_one(r);
      } catch (const InputError&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
