// The conflict records of sync-protocol(7): "conflict" (sync-diff: both sides
// changed), "decision" (sync-resolve: what was decided), the settlement an
// operator stores in conflict_log.settled_value, and the conflict_log entry
// sync-load builds from either record. The one place that knows their fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/hash.hpp"
#include "core/value.hpp"

namespace syncpipe::ndjson {

class Reader;
class JsonBuf;
class RecordWriter;

// An operator's settlement of a conflict (sync-resolve --settle), stored in
// conflict_log.settled_value and carried on the conflict record by sync-diff.
struct Settlement {
  std::string take;                // source | target | value
  Row v;                           // take == "value": the row to write
  std::string by;                  // who settled it
  std::optional<std::int64_t> id;  // conflict_log id
};

// A "conflict" record (sync-diff): both sides changed. Absent optionals are
// written as null; target_h is the row hash of the target image.
struct Conflict {
  std::string kind, table;  // insert_insert | update_update | update_delete | delete_update
  Hash128 kh;
  std::optional<Hash128> h, base_h, target_h;  // h: the source row's hash (none for delete_update)
  Row k;
  std::optional<Row> source, target;  // source: field "v"
  std::string_view v_json;  // when not empty: "v" as JSON text read from the source (not source)
  bool drift = false;       // --verify: the target drifted, the source did not change
  std::optional<Settlement> settled;
};

void write_conflict(JsonBuf& j, const Conflict& c);
// Writes a conflict record to out; a v_json is written from where it lies,
// not copied into j (scratch).
void write_conflict(RecordWriter& out, JsonBuf& j, const Conflict& c);
// Reads every field; checks only their types (the resolver checks the kinds).
Conflict parse_conflict(Reader& r);

// conflict_log.settled_value: the settlement as one JSON object.
std::string settlement_json(const Settlement& s);
// The settlement stored as conflict_log row `id`, or nullopt when the text
// is not such an object (an admin may have written it by hand). A malformed
// "settled_v" throws InputError naming the row.
std::optional<Settlement> parse_settlement_json(std::string_view json, std::int64_t id);

// A "decision" record (sync-resolve): how one conflict was decided.
// source/target are written only with `snapshot` (conflict_log.include_snapshot).
struct Decision {
  std::string table, kind, strategy, resolution, resolved_by, note;
  Hash128 kh;
  std::optional<Hash128> h, target_h;
  Row k;
  bool snapshot = false;
  std::optional<Row> source, target;
};

void write_decision(JsonBuf& j, const Decision& d);
Decision parse_decision(Reader& r);
// The decision that stands for a conflict no sync-resolve decided: unresolved.
Decision undecided(Conflict&& c);

// The conflict_log rows sync-load writes in one statement: a JSON array of
// entries whose keys are conflict_log's column names, expanded in SQL by
// json_to_recordset(...) AS x(<kConflictLogRecordset>).
void write_conflict_log_entry(JsonBuf& j, const Decision& d);
// The entry's columns, comma-separated, and the same with their SQL types.
extern const std::string_view kConflictLogColumns;
extern const std::string_view kConflictLogRecordset;

}  // namespace syncpipe::ndjson
