#include "world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "rng.hpp"
#include "text.hpp"

namespace syncpipe::gen {

namespace {

constexpr std::int64_t kEpoch2024 = 1704067200;

constexpr const char* kTags[] = {"work", "ideas", "travel", "python", "recipes", "caf\xc3\xa9"};
constexpr const char* kModels[] = {"llama3.1:8b", "gpt-4o", "mistralai/mistral-7b-instruct:v0.3",
                                   "qwen2.5-coder:14b"};
constexpr const char* kConfigKeys[] = {"version",
                                       "ui.default_locale",
                                       "ui.prompt_suggestions",
                                       "ui.enable_signup",
                                       "audio.stt.engine",
                                       "audio.tts.engine",
                                       "audio.tts.voice",
                                       "rag.chunk_size",
                                       "rag.chunk_overlap",
                                       "rag.template",
                                       "rag.embedding_model",
                                       "openai.api_base_urls",
                                       "openai.api_keys",
                                       "ollama.base_urls",
                                       "image_generation.engine",
                                       "web_search.engine",
                                       "auth.jwt_expiry",
                                       "ldap.enable",
                                       "task.title.prompt_template",
                                       "models.default_models"};

// Per-user multipliers and fixed sizes of the tables `create` fills.
constexpr std::pair<const char*, std::int64_t> kPerUser[] = {{"user", 1},
                                                             {"auth", 1},
                                                             {"api_key", 1},
                                                             {"oauth_session", 1},
                                                             {"tag", 3},
                                                             {"folder", 2},
                                                             {"file", 2},
                                                             {"memory", 2},
                                                             {"note", 1},
                                                             {"pinned_note", 1},
                                                             {"chatidtag", 1},
                                                             {"knowledge", 1},
                                                             {"knowledge_file", 1},
                                                             {"knowledge_directory", 1},
                                                             {"channel_member", 1},
                                                             {"message_reaction", 1},
                                                             {"group_member", 1},
                                                             {"access_grant", 2},
                                                             {"feedback", 1},
                                                             {"automation", 1},
                                                             {"automation_run", 2},
                                                             {"calendar", 1},
                                                             {"calendar_event", 2},
                                                             {"calendar_event_attendee", 1},
                                                             {"prompt_history", 1},
                                                             {"chat_file", 1}};
constexpr std::pair<const char*, std::int64_t> kFixed[] = {
    {"model", 4},           {"tool", 2},
    {"function", 3},        {"skill", 2},
    {"prompt", 3},          {"group", 2},
    {"channel", 2},         {"channel_webhook", 1},
    {"channel_file", 2},    {"config_old", 1},
    {"document", 1},        {"config", static_cast<std::int64_t>(std::size(kConfigKeys))},
    {"alembic_version", 0}, {"migratehistory", 0}};

template <typename Table>
const std::int64_t* find(const Table& table, std::string_view name) {
  for (const auto& [n, v] : table) {
    if (name == n) return &v;
  }
  return nullptr;
}

}  // namespace

std::int64_t World::count(std::string_view table) const {
  const std::int64_t u = shape_.users;
  if (u < 1) return 0;
  if (table == "chat") return chats();
  if (table == "chat_message") return chats() * shape_.messages_per_chat;
  if (table == "shared_chat") return std::min(chats(), u);
  if (table == "message") return shape_.channel_messages >= 0 ? shape_.channel_messages : 5 * u;
  if (const std::int64_t* m = find(kPerUser, table)) return u * *m;
  if (const std::int64_t* n = find(kFixed, table)) return *n;
  return u;  // a table this generator does not know
}

std::string World::id(std::string_view table, std::int64_t k) const {
  if (table == "auth") return id("user", k);
  if (table == "api_key") return "key_" + user_id(k);
  if (table == "tag") return tag_name(k / std::max<std::int64_t>(1, users()));
  if (table == "model") {
    std::string m = kModels[k % std::size(kModels)];
    return k < static_cast<std::int64_t>(std::size(kModels)) ? m : fmt::format("{}-{}", m, k);
  }
  if (table == "tool" || table == "function")
    return fmt::format("{}_{}", table, hex(row_hash(table, k, "id"), 6));
  if (table == "config") {
    if (k < static_cast<std::int64_t>(std::size(kConfigKeys))) return kConfigKeys[k];
    return fmt::format("ui.extra.key_{}", k);
  }
  if (table == "channel_message") return id("message", k);
  return uuid(row_hash(table, k, "id"));
}

std::string World::ref(std::string_view table, std::int64_t k) const {
  std::int64_t n = std::max<std::int64_t>(1, count(table));
  return id(table, ((k % n) + n) % n);
}

std::string World::tag_name(std::int64_t k) const {
  std::string t = kTags[k % std::size(kTags)];
  return k < static_cast<std::int64_t>(std::size(kTags)) ? t : fmt::format("{}_{}", t, k);
}

std::uint64_t World::row_hash(std::string_view table, std::int64_t k, std::string_view salt) const {
  return hash(shape_.seed, name_hash(table), static_cast<std::uint64_t>(k), name_hash(salt));
}

std::int64_t World::created_s(std::string_view table, std::int64_t k) const {
  Draw d(row_hash(table, k, "created"));
  return kEpoch2024 + (k % 1'000'000) * 61 + static_cast<std::int64_t>(d.below(86400));
}

bool is_ns_table(std::string_view table) {
  static constexpr std::string_view kNs[] = {
      "channel",          "channel_member", "channel_webhook", "message",
      "message_reaction", "note",           "pinned_note",     "automation",
      "automation_run",   "calendar",       "calendar_event",  "calendar_event_attendee"};
  return std::find(std::begin(kNs), std::end(kNs), table) != std::end(kNs);
}

bool is_ns_column(std::string_view table, std::string_view column) {
  return is_ns_table(table) || (table == "chat" && column == "timer_at");
}

}  // namespace syncpipe::gen
