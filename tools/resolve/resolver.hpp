// Deciding one conflict (sync-resolve(1), STRATEGIES) and the change record
// that applies the decision (sync-protocol(7), "change"):
//
//   kind           source wins               target wins
//   insert_insert  update  v=source, h=S     record v=target, h=S
//   update_update  update  v=source, h=S     record v=target, h=S
//   update_delete  update  v=source, h=S     record v=null,   h=S
//   delete_update  delete  k                 record v=target, h=0…0
//
// S is the source row hash of the conflict: the base state then says "the
// source as it is now was dealt with", so the next run sees S = B and does
// not raise the conflict again. h = 32 zeros (delete_update, target kept)
// means "the source has no row": the base remembers the target's row under
// a source that deleted it. A merge (or a settled value) writes its row (op
// update) with h = S for the same reason (all zeros when the source has no row).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "core/hash.hpp"
#include "core/value.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"

namespace syncpipe::resolve {

// One conflict record as sync-diff wrote it (sync-protocol(7), "conflict").
using Conflict = ndjson::Conflict;
using Settlement = ndjson::Settlement;

enum class Resolution { Source, Target, Merge, Unresolved };
const char* resolution_name(Resolution r);

struct Outcome {
  Resolution resolution = Resolution::Unresolved;
  std::string note;
  Row merged;  // Resolution::Merge only
};

// Which side newest_wins keeps, and why (the note says "tie" on a tie).
struct Newer {
  bool source = true;
  std::string note;
};
Newer newest(const ndjson::TableSchema& t, const std::string& compare_field, const Conflict& c);

// The merged row: the newer side's row, with each merge rule's column
// replaced by the merge of both sides (json_merge.hpp). Notes explain rules
// that could not apply. REQUIRES: both rows present.
Row merge_rows(const ndjson::TableSchema& t, const TableRule& rule, const Conflict& c, bool source_newer,
               std::vector<std::string>& notes);

Outcome decide(const ndjson::TableSchema& t, const TableRule& rule, const Conflict& c);

// The outcome of a settled conflict: the side taken, or the given row as a
// merge. A row of the wrong width leaves the conflict unresolved.
// REQUIRES: c.settled.
Outcome apply_settlement(const ndjson::TableSchema& t, const Conflict& c);

// The change that applies a decision. REQUIRES: o.resolution != Unresolved.
ndjson::Change change_for(const Conflict& c, const Outcome& o);

}  // namespace syncpipe::resolve
