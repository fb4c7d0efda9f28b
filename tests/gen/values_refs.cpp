// Timestamps and references between tables.
#include <array>
#include <utility>

#include "rng.hpp"
#include "text.hpp"
#include "values.hpp"
#include "world.hpp"

namespace syncpipe::gen {

namespace {

constexpr std::int64_t kNs = 1'000'000'000;

constexpr std::pair<std::string_view, std::string_view> kRefs[] = {
    {"user_id", "user"},           {"chat_id", "chat"},
    {"file_id", "file"},           {"group_id", "group"},
    {"note_id", "note"},           {"channel_id", "channel"},
    {"knowledge_id", "knowledge"}, {"event_id", "calendar_event"},
    {"calendar_id", "calendar"},   {"automation_id", "automation"},
    {"prompt_id", "prompt"},       {"directory_id", "knowledge_directory"},
    {"folder_id", "folder"},       {"model_id", "model"},
    {"base_model_id", "model"},    {"message_id", "message"},
    {"reply_to_id", "message"},    {"version_id", "prompt_history"},
    {"share_id", "shared_chat"}};

// Percent of NULLs in a nullable column, by name.
unsigned null_percent(std::string_view name) {
  if (name == "user_id") return 0;
  if (name == "share_id" || name == "reply_to_id") return 80;
  if (name.ends_with("_by")) return 80;
  return 40;
}

constexpr std::string_view kResources[] = {"model", "knowledge", "prompt",
                                           "tool",  "note",      "channel"};

Value access_grant(const Cell& cell, bool principal, bool want_id) {
  Draw d(cell.w.row_hash(cell.t.name, cell.k, principal ? "principal" : "resource"));
  if (!principal) {
    std::string_view type = kResources[d.below(std::size(kResources))];
    return want_id ? cell.w.ref(type, cell.k) : std::string(type);
  }
  std::uint64_t r = d.below(10);
  if (r == 0) return std::string(want_id ? "*" : "user");
  if (r < 3) return want_id ? cell.w.ref("group", cell.k) : std::string("group");
  return want_id ? cell.w.user_id(cell.k) : std::string("user");
}

}  // namespace

Value time_value(const Cell& cell, Draw& d) {
  const std::string& n = cell.c.name;
  std::int64_t s = cell.w.created_s(cell.t.name, cell.k);
  if (cell.t.name == "config_old" || cell.t.name == "migratehistory") return datetime_text(s);
  bool optional = !cell.c.notnull;
  if (n == "updated_at" || n.starts_with("last_")) {
    if (optional && d.chance(n == "updated_at" ? 3 : 20)) return {};
    s += static_cast<std::int64_t>(d.below(2'000'000));
  } else if (n == "expires_at" || n == "next_run_at" || n == "start_at" || n == "end_at") {
    s += 30 * 86400 + static_cast<std::int64_t>(d.below(2'000'000)) + (n == "end_at" ? 3600 : 0);
  } else if (n != "created_at" && n != "timestamp" && n != "joined_at") {
    if (optional && d.chance(85)) return {};
    s += static_cast<std::int64_t>(d.below(2'000'000));
  }
  if (is_ns_column(cell.t.name, n)) return s * kNs + static_cast<std::int64_t>(d.below(kNs));
  return s;
}

Value reference_value(const Cell& cell, Draw& d, bool& matched) {
  const std::string& n = cell.c.name;
  matched = true;
  if (cell.t.name == "access_grant" &&
      (n.starts_with("resource_") || n.starts_with("principal_"))) {
    return access_grant(cell, n.starts_with("principal_"), n.ends_with("_id"));
  }
  if (n == "parent_id") {
    if (cell.k == 0 || d.chance(40)) return cell.c.notnull ? Value(std::string()) : Value();
    return cell.w.id(cell.t.name, cell.k - 1 - static_cast<std::int64_t>(d.below(3)) % cell.k);
  }
  if (n.ends_with("_by")) {
    return !cell.c.notnull && d.chance(null_percent(n)) ? Value() : Value(cell.w.user_id(cell.k));
  }
  for (const auto& [column, table] : kRefs) {
    if (n != column) continue;
    if (n == "share_id") {
      return cell.k < cell.w.count("shared_chat") ? Value(cell.w.id("shared_chat", cell.k))
                                                  : Value();
    }
    if (!cell.c.notnull && d.chance(null_percent(n))) return {};
    return cell.w.ref(table, cell.k);
  }
  matched = false;
  return {};
}

}  // namespace syncpipe::gen
