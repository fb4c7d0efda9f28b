// The Open WebUI tables and columns sync-resolve --check-config knows (from the schemas in
// /work/shared/fixtures/openwebui: current and upgraded-from-peewee). Used for warnings only: a
// config may name tables of a newer Open WebUI release.
#include "known_schema.hpp"

#include <algorithm>
#include <array>

namespace syncpipe::resolve {

namespace {

struct KnownTable {
  std::string_view name, columns;  // columns: space-separated
};

constexpr std::array kTables{
    KnownTable{"access_grant", "id resource_type resource_id principal_type principal_id permission created_at"},
    KnownTable{"alembic_version", "version_num"},
    KnownTable{"api_key", "id user_id key data expires_at last_used_at created_at updated_at"},
    KnownTable{"auth", "id email password active"},
    KnownTable{"automation", "id user_id name data meta is_active last_run_at next_run_at created_at updated_at folder_id"},
    KnownTable{"automation_run", "id automation_id chat_id status error created_at"},
    KnownTable{"calendar", "id user_id name color is_default data meta created_at updated_at"},
    KnownTable{"calendar_event", "id calendar_id user_id title description start_at end_at all_day rrule color location data meta is_cancelled created_at updated_at"},
    KnownTable{"calendar_event_attendee", "id event_id user_id status meta created_at updated_at"},
    KnownTable{"channel", "id user_id name description data meta created_at updated_at type is_private archived_at archived_by deleted_at deleted_by updated_by"},
    KnownTable{"channel_file", "id user_id channel_id file_id created_at updated_at message_id"},
    KnownTable{"channel_member", "id channel_id user_id created_at status is_active is_channel_muted is_channel_pinned data meta joined_at left_at last_read_at updated_at role invited_by invited_at"},
    KnownTable{"channel_webhook", "id user_id channel_id name profile_image_url token last_used_at created_at updated_at"},
    KnownTable{"chat", "id user_id title created_at updated_at share_id archived chat pinned meta folder_id tasks summary last_read_at current_message_id variables timer_at"},
    KnownTable{"chat_file", "id user_id chat_id file_id message_id created_at updated_at"},
    KnownTable{"chat_message", "id chat_id user_id role parent_id content output model_id files sources embeds done status_history error usage created_at updated_at context_summary meta"},
    KnownTable{"chatidtag", "id tag_name chat_id user_id timestamp"},
    KnownTable{"config", "key value updated_at"},
    KnownTable{"config_old", "id data version created_at updated_at"},
    KnownTable{"document", "collection_name name title filename content user_id timestamp id"},
    KnownTable{"feedback", "id user_id version type data meta snapshot created_at updated_at"},
    KnownTable{"file", "id user_id filename meta created_at hash data updated_at path"},
    KnownTable{"folder", "id parent_id user_id name items meta is_expanded created_at updated_at data"},
    KnownTable{"function", "id user_id name type content meta valves is_active is_global updated_at created_at"},
    KnownTable{"group", "id user_id name description data meta permissions created_at updated_at"},
    KnownTable{"group_member", "id group_id user_id created_at updated_at"},
    KnownTable{"knowledge", "id user_id name description meta created_at updated_at data"},
    KnownTable{"knowledge_directory", "id knowledge_id parent_id name user_id created_at updated_at"},
    KnownTable{"knowledge_file", "id user_id knowledge_id file_id created_at updated_at directory_id"},
    KnownTable{"memory", "id user_id content updated_at created_at type path meta"},
    KnownTable{"message", "id user_id channel_id content data meta created_at updated_at parent_id reply_to_id is_pinned pinned_at pinned_by"},
    KnownTable{"message_reaction", "id user_id message_id name created_at"},
    KnownTable{"migratehistory", "id name migrated_at"},
    KnownTable{"model", "id user_id base_model_id name params meta updated_at created_at is_active"},
    KnownTable{"note", "id user_id title data meta created_at updated_at"},
    KnownTable{"oauth_session", "id user_id provider token expires_at created_at updated_at"},
    KnownTable{"pinned_note", "id user_id note_id created_at"},
    KnownTable{"prompt", "id command user_id name content data meta is_active version_id tags created_at updated_at"},
    KnownTable{"prompt_history", "id prompt_id parent_id snapshot user_id commit_message created_at"},
    KnownTable{"shared_chat", "id chat_id user_id title chat created_at updated_at"},
    KnownTable{"skill", "id user_id name description content meta is_active updated_at created_at"},
    KnownTable{"tag", "id name user_id meta"},
    KnownTable{"tool", "id user_id name content specs meta valves updated_at created_at"},
    KnownTable{"user", "id name email role profile_image_url last_active_at updated_at created_at username bio gender date_of_birth profile_banner_image_url timezone presence_state status_emoji status_message status_expires_at oauth info settings scim variables"},
};

const KnownTable* find(std::string_view table) {
  auto it = std::find_if(kTables.begin(), kTables.end(), [&](const KnownTable& t) { return t.name == table; });
  return it == kTables.end() ? nullptr : &*it;
}

}  // namespace

bool known_table(std::string_view table) { return find(table) != nullptr; }

bool known_column(std::string_view table, std::string_view column) {
  const KnownTable* t = find(table);
  if (!t) return true;  // unknown tables are reported once, not per column
  std::string_view cols = t->columns;
  while (!cols.empty()) {
    auto sp = cols.find(' ');
    if (cols.substr(0, sp) == column) return true;
    if (sp == std::string_view::npos) break;
    cols.remove_prefix(sp + 1);
  }
  return false;
}

}  // namespace syncpipe::resolve
