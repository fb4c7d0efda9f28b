#include "chat_json.hpp"

#include <fmt/format.h>

#include "json_out.hpp"
#include "rng.hpp"
#include "text.hpp"

namespace syncpipe::gen {

namespace {

void write_message(JsonOut& j, const ChatDoc& doc, const ChatMessage& m) {
  j.begin_object().key("id").string(m.id).key("parentId");
  m.parent.empty() ? j.null() : j.string(m.parent);
  j.key("childrenIds").begin_array();
  if (!m.child.empty()) j.string(m.child);
  j.end_array().key("role").string(m.assistant ? "assistant" : "user");
  j.key("content").escaped_string(m.content).key("timestamp").number(m.timestamp);
  if (!m.assistant) {
    j.key("models").begin_array().string(doc.model).end_array();
    return void(j.end_object());
  }
  j.key("model")
      .string(doc.model)
      .key("modelName")
      .string(doc.model)
      .key("modelIdx")
      .number(std::int64_t{0});
  j.key("usage").begin_object().key("prompt_tokens").number(m.prompt_tokens);
  j.key("completion_tokens").number(m.completion_tokens);
  j.key("total_tokens").number(m.prompt_tokens + m.completion_tokens).end_object();
  j.key("done").boolean(true).key("files").begin_array().end_array();
  j.key("sources").begin_array().end_array().key("statusHistory").begin_array().end_array();
  j.end_object();
}

}  // namespace

ChatDoc make_chat(std::string id, std::string model, std::int64_t created_s, int messages,
                  std::uint64_t h) {
  Draw d(h);
  ChatDoc doc{std::move(id),
              words(d, 2 + static_cast<int>(d.below(5))),
              std::move(model),
              created_s,
              {},
              {}};
  for (int i = 0; i < messages; ++i) {
    ChatMessage m;
    m.id = uuid(hash(h, static_cast<std::uint64_t>(i)));
    m.assistant = i % 2 == 1;
    m.timestamp = created_s + 20 * i + static_cast<std::int64_t>(d.below(15));
    m.prompt_tokens = m.assistant ? static_cast<std::int64_t>(20 + d.below(900)) : 0;
    m.completion_tokens = m.assistant ? static_cast<std::int64_t>(10 + d.below(1500)) : 0;
    if (i > 0) {
      m.parent = doc.messages.back().id;
      doc.messages.back().child = m.id;
    }
    doc.messages.push_back(std::move(m));
  }
  return doc;
}

std::string fill_chat(ChatDoc& doc, std::size_t bytes, std::uint64_t h) {
  for (ChatMessage& m : doc.messages) m.content.clear();
  doc.system.clear();
  const std::size_t empty = chat_json(doc).size();
  if (bytes <= empty) return chat_json(doc);
  const std::size_t budget = bytes - empty;
  std::size_t weights = 0;
  for (const ChatMessage& m : doc.messages) weights += m.assistant ? 3 : 1;
  Draw d(h);
  std::size_t used = 0;
  for (ChatMessage& m : doc.messages) {
    std::size_t share = weights == 0 ? 0 : budget / 2 * (m.assistant ? 3 : 1) / weights;
    append_escaped_prose(m.content, d, share);
    used += 2 * share;  // each message is in the blob twice
  }
  append_escaped_prose(doc.system, d, budget - used);
  return chat_json(doc);
}

std::string chat_json(const ChatDoc& doc) {
  std::string out;
  JsonOut j(out);
  j.begin_object().key("id").string("").key("title").string(doc.title);
  j.key("models").begin_array().string(doc.model).end_array();
  j.key("params").begin_object().end_object();
  j.key("history").begin_object().key("messages").begin_object();
  for (const ChatMessage& m : doc.messages) write_message(j.key(m.id), doc, m);
  j.end_object().key("currentId");
  doc.messages.empty() ? j.null() : j.string(doc.messages.back().id);
  j.end_object().key("messages").begin_array();
  for (const ChatMessage& m : doc.messages) write_message(j, doc, m);
  j.end_array().key("tags").begin_array().end_array();
  j.key("timestamp").number(doc.created_s * 1000 + 123).key("files").begin_array().end_array();
  j.key("system").escaped_string(doc.system).end_object();
  return out;
}

std::string usage_json(const ChatMessage& m) {
  if (!m.assistant) return "null";
  return fmt::format("{{\"prompt_tokens\": {}, \"completion_tokens\": {}, \"total_tokens\": {}}}",
                     m.prompt_tokens, m.completion_tokens, m.prompt_tokens + m.completion_tokens);
}

}  // namespace syncpipe::gen
