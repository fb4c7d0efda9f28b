// The records of sync-protocol(7) as C++ structs, with their parse and write
// functions. This is the one place that knows field names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "core/value.hpp"

namespace syncpipe::ndjson {

class Reader;
class JsonBuf;
class RecordWriter;

inline constexpr int kProtocolVersion = 1;

struct Lease {
  std::string cluster, holder, expires_at;
  std::int64_t epoch = 0;
};

struct Header {
  int version = kProtocolVersion;
  std::string client, host, schema, source, stream_id, created_at;
  bool adhoc = false;
};

struct Column {
  std::string name, decl;
  bool notnull = false;
  int pk = 0;
  std::optional<std::string> dflt;
};

struct TableSchema {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::string> key;
  std::string key_source;              // primary_key | unique_index:NAME | rowid
  std::vector<std::string> pg_types;   // empty unless known
  std::vector<std::size_t> key_index;  // derived: positions of key columns

  std::vector<std::string> column_names() const;
  Row key_of(const Row& row) const;
};

// A change or conflict on one row.
struct Change {
  std::string op;       // insert | update | delete | record  (conflict: the kind)
  std::string table;
  Hash128 kh;
  std::optional<Hash128> h;
  Row k, v;
  bool has_v = false;   // false: "v" missing or null
};

Lease parse_lease(Reader& r);
void write_lease(JsonBuf& j, const Lease& l);
Header parse_header(Reader& r);
void write_header(JsonBuf& j, const Header& h);
TableSchema parse_table(Reader& r);
void write_table(JsonBuf& j, const TableSchema& t);
Change parse_change(Reader& r);
void write_change(JsonBuf& j, const Change& c);
void write_table_end(JsonBuf& j, const std::string& table, std::uint64_t rows);

// What every stage after sync-snapshot reads first: an optional lease and the
// header. Both are forwarded to `out` unchanged. Refuses a stream without a
// lease unless its header says adhoc, and a protocol version it does not know.
struct StreamHead {
  std::optional<Lease> lease;
  Header header;
};
StreamHead read_head(Reader& r, RecordWriter* out);

}  // namespace syncpipe::ndjson
