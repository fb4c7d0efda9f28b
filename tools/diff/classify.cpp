#include "classify.hpp"

namespace syncpipe::diff {

namespace {

Verdict source_deleted(const BaseEntry& b, const std::optional<Hash128>& t) {
  if (kept_by_target(b)) return Verdict::Nothing;
  if (!t || b.status == BaseStatus::Quarantined || (b.has_tgt && *t == b.tgt_hash)) return Verdict::Delete;
  return Verdict::DeleteUpdate;
}

Verdict source_new(const Sides& s) {
  if (!s.target) return Verdict::Insert;
  if (s.source_image && *s.target == *s.source_image) return Verdict::Record;
  return Verdict::InsertInsert;
}

Verdict source_changed(const BaseEntry& b, const Sides& s) {
  if (!s.target) return b.status == BaseStatus::Quarantined ? Verdict::Insert : Verdict::UpdateDelete;
  if (b.has_tgt && *s.target == b.tgt_hash) return Verdict::Update;
  if (s.source_image && *s.target == *s.source_image) return Verdict::Record;
  return Verdict::UpdateUpdate;
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Nothing: return "nothing";
    case Verdict::Insert: return "insert";
    case Verdict::Update: return "update";
    case Verdict::Delete: return "delete";
    case Verdict::Record: return "record";
    case Verdict::InsertInsert: return "insert_insert";
    case Verdict::UpdateUpdate: return "update_update";
    case Verdict::UpdateDelete: return "update_delete";
    case Verdict::DeleteUpdate: return "delete_update";
  }
  return "nothing";
}

bool is_conflict(Verdict v) {
  return v == Verdict::InsertInsert || v == Verdict::UpdateUpdate || v == Verdict::UpdateDelete ||
         v == Verdict::DeleteUpdate;
}

Verdict classify(const Sides& s) {
  if (!s.source) return s.base ? source_deleted(*s.base, s.target) : Verdict::Nothing;
  if (!s.base) return source_new(s);
  if (*s.source == s.base->src) return Verdict::Nothing;
  return source_changed(*s.base, s);
}

bool drifted(const BaseEntry& base, const std::optional<Hash128>& target) {
  if (base.status != BaseStatus::Loaded) return target.has_value();
  return !target || !base.has_tgt || *target != base.tgt_hash;
}

}  // namespace syncpipe::diff
