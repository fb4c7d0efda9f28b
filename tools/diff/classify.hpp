// The three-way rule of sync-diff (DESIGN.md, "Change detection";
// sync-diff(1)): base B (what was last loaded), source S (the snapshot) and
// target T (the tenant table in PostgreSQL) decide what happens to one row.
// Pure: no I/O, so every case is unit-tested.
#pragma once

#include <optional>

#include "core/base_state.hpp"
#include "core/hash.hpp"

namespace syncpipe::diff {

enum class Verdict {
  Nothing,       // S = B
  Insert,        // new row, not in the target
  Update,        // S changed, T = B
  Delete,        // S deleted, T = B (or T gone, or B quarantined)
  Record,        // T already equals S: only the base state moves
  InsertInsert,  // conflicts: both sides changed
  UpdateUpdate,
  UpdateDelete,
  DeleteUpdate,
};

// The change op ("insert", ...) or the conflict kind ("insert_insert", ...).
const char* verdict_name(Verdict v);
bool is_conflict(Verdict v);

struct Sides {
  const BaseEntry* base = nullptr;          // B, or null if the key was never loaded
  std::optional<Hash128> source;            // S's row hash h; nullopt: the source deleted the row
  std::optional<Hash128> source_image;      // hash of S's target image; nullopt if it would be quarantined
  std::optional<Hash128> target;            // hash of T's image; nullopt: no target row
};

Verdict classify(const Sides& s);

// A base entry whose source hash is all zeros records a delete_update decided
// for the target: the source has no row and the target keeps its own, so a
// missing source row is not a delete (sync-protocol(7), decision).
inline bool kept_by_target(const BaseEntry& b) { return b.src == Hash128{}; }

// --verify, for a row whose source did not change: true when the target is
// not what the base says it is (loaded: present with hash B.tgt; quarantined
// or absent: no row).
bool drifted(const BaseEntry& base, const std::optional<Hash128>& target);

}  // namespace syncpipe::diff
