#include "chats.hpp"

#include "chat_json.hpp"
#include "inserter.hpp"
#include "rng.hpp"
#include "world.hpp"

namespace syncpipe::gen {

namespace {

Value message_value(const World& w, const TableInfo& t, const sqlite::Column& c, const ChatDoc& doc,
                    const ChatMessage& m, const ChatPlan& plan, std::int64_t row) {
  const std::string& n = c.name;
  if (n == "id") return doc.id + "-" + m.id;
  if (n == "chat_id") return doc.id;
  if (n == "user_id") return plan.user_id;
  if (n == "role") return std::string(m.assistant ? "assistant" : "user");
  if (n == "parent_id") return m.parent.empty() ? Value() : Value(m.parent);
  if (n == "content") return "\"" + m.content + "\"";
  if (n == "model_id") return m.assistant ? Value(doc.model) : Value();
  if (n == "done") return std::int64_t{1};
  if (n == "usage") return m.assistant ? Value(usage_json(m)) : Value();
  if (n == "created_at" || n == "updated_at") return m.timestamp;
  if (n == "files" || n == "sources" || n == "status_history") return std::string("[]");
  if (n == "meta") return std::string("{}");
  if (n == "output" || n == "embeds" || n == "error" || n == "context_summary") return {};
  return column_value(w, t, c, row);
}

Value chat_value(const World& w, const TableInfo& t, const sqlite::Column& c, const ChatDoc& doc,
                 const ChatPlan& plan, std::string& json) {
  const std::string& n = c.name;
  if (n == "id") return doc.id;
  if (n == "user_id") return plan.user_id;
  if (n == "title") return doc.title;
  if (n == "created_at") return doc.created_s;
  if (n == "updated_at")
    return doc.messages.empty() ? doc.created_s : doc.messages.back().timestamp;
  if (n == "chat") return std::move(json);
  if (n == "current_message_id")
    return doc.messages.empty() ? Value() : Value(doc.messages.back().id);
  return column_value(w, t, c, plan.row);
}

}  // namespace

std::int64_t insert_chat(const World& w, Inserter& chats, Inserter& messages,
                         const ChatPlan& plan) {
  const std::uint64_t h = w.row_hash("chat", plan.row, "doc");
  ChatDoc doc =
      make_chat(plan.id, w.ref("model", plan.row), w.created_s("chat", plan.row), plan.messages, h);
  std::string json = fill_chat(doc, plan.bytes, mix(h));
  std::vector<Value> row;
  for (const sqlite::Column& c : chats.table().columns) {
    row.push_back(chat_value(w, chats.table(), c, doc, plan, json));
  }
  chats.insert(row);
  std::int64_t n = 0;
  for (const ChatMessage& m : doc.messages) {
    row.clear();
    for (const sqlite::Column& c : messages.table().columns) {
      row.push_back(message_value(w, messages.table(), c, doc, m, plan, plan.message_row + n));
    }
    n += messages.insert(row) ? 1 : 0;
  }
  return n;
}

}  // namespace syncpipe::gen
