// The records of sync-protocol(7) as C++ structs, with their parse and write
// functions. This module (protocol*.hpp) is the one place that knows record
// types and field names: protocol_rows.hpp has the per-row records and those
// that close a table, protocol_conflict.hpp conflicts and decisions; here the
// stream's head, table schemas, changes, the base record and the trailer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.hpp"
#include "core/value.hpp"

namespace syncpipe::ndjson {

class Reader;
class JsonBuf;
class RecordWriter;

inline constexpr int kProtocolVersion = 1;

// The record types ("t") a stage acts on; anything else is Other, which
// stages forward unchanged. The trailer never reaches a stage (Reader).
enum class RecordType {
  Row, Table, TableEnd, Unchanged, AbsentKeys, Change, Conflict, Decision, Base, Lease, Header, SqliteSchema,
  Other
};
RecordType record_type(Reader& r);
const char* record_type_name(RecordType t);  // "" for Other

struct Lease {
  std::string cluster, holder, expires_at;
  std::int64_t epoch = 0;
};

struct Header {
  int version = kProtocolVersion;
  std::string client, host, schema, source, stream_id, created_at;
  bool adhoc = false;
  bool skip_unchanged = false;  // sync-snapshot --skip-unchanged: "unchanged" records stand for skipped rows
  std::string fingerprint;      // settled identity of the source file before the snapshot (sqlite/fingerprint.hpp), or ""
};

// Why a stage that needs every row (sync-diff --verify and --against-base,
// sync-load --provision and --to-sqlite) refuses a stream whose header says
// skip_unchanged, and what to run instead; `what` names the stage.
std::string every_row_refusal(std::string_view what);

struct Column {
  std::string name, decl;
  bool notnull = false;
  int pk = 0;
  std::optional<std::string> dflt;
};

// The synthetic key column of a table with neither a primary key nor a
// usable unique index (key_source "rowid"): the row's SQLite rowid.
inline constexpr const char* kRowidColumn = "_sqlite_rowid";
// The synthetic key column of such a table whose own columns shadow all three
// names of the rowid (rowid, _rowid_, oid), so SQLite gives no access to it
// (key_source "row_content"): the row's content hash and a duplicate counter.
inline constexpr const char* kRowContentColumn = "_sqlite_row";

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
  std::optional<Hash128> vh;  // the row hash of v when v is not the row h describes (a merge, a kept target)
  Row k, v;
  bool has_v = false;   // false: "v" missing or null
  std::string_view v_json;  // with has_v: v as JSON text read from the source, written as it is (not v)
};

Lease parse_lease(Reader& r);
void write_lease(JsonBuf& j, const Lease& l);
Header parse_header(Reader& r);
void write_header(JsonBuf& j, const Header& h);
TableSchema parse_table(Reader& r);
void write_table(JsonBuf& j, const TableSchema& t);
Change parse_change(Reader& r);
void write_change(JsonBuf& j, const Change& c);
// Writes a change record to out; a v_json is written from where it lies,
// not copied into j (scratch).
void write_change(RecordWriter& out, JsonBuf& j, const Change& c);

// sync-diff's "base" record: the base generation its changes were computed
// against, and whether its local cache was used ("hit") or reread ("refreshed").
struct BaseRecord {
  std::string client, cache;
  std::int64_t generation = 0;
};
void write_base(JsonBuf& j, const BaseRecord& b);
BaseRecord parse_base(Reader& r);

// The trailer that ends every stream: the number of records before it and
// the StreamChecksum of their lines. RecordWriter writes it, Reader checks it.
struct Trailer {
  std::uint64_t records = 0;
  std::string checksum;
};
void write_trailer(std::string& out, const Trailer& t);
Trailer parse_trailer(Reader& r);
bool is_trailer(std::string_view type);

// The "sqlite_schema" record (sync-snapshot writes it after the header):
// every sqlite_master object of the source in creation order, and PRAGMA
// user_version. sync-load --provision keeps it in sync_metadata.source_schema;
// sync-snapshot --from-postgres sends it back and sync-load --to-sqlite
// recreates the file's schema from it.
struct SchemaObject {
  std::string type, name, tbl_name;  // table | index | view | trigger
  std::optional<std::string> sql;    // NULL for the automatic sqlite_autoindex_*
};
struct SqliteSchema {
  std::int64_t user_version = 0;
  std::vector<SchemaObject> objects;
};
SqliteSchema parse_sqlite_schema(Reader& r);
void write_sqlite_schema(JsonBuf& j, const SqliteSchema& s);

// Decodes a standalone JSON array of protocol values, e.g. a key_json of
// sync_metadata.row_state. Throws InputError naming `what`.
Row parse_values_json(std::string_view json, std::string_view what = "values");

// What every stage after sync-snapshot reads first: an optional lease and the
// header. Both are forwarded to `out` unchanged. Refuses a stream without a
// lease unless its header says adhoc, and a protocol version it does not know.
struct StreamHead {
  std::optional<Lease> lease;
  Header header;
};
StreamHead read_head(Reader& r, RecordWriter* out);

}  // namespace syncpipe::ndjson
