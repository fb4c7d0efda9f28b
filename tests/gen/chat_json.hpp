// An Open WebUI conversation and its `chat.chat` JSON (NOTES.md §5): every
// message twice (history.messages and the legacy messages array), message
// timestamps in seconds, the top-level timestamp in milliseconds, ASCII-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace syncpipe::gen {

struct ChatMessage {
  std::string id;      // the message id; chat_message.id is "<chat id>-<id>"
  std::string parent;  // empty for the first message
  std::string child;   // empty for the last message
  bool assistant = false;
  std::int64_t timestamp = 0;  // seconds
  std::string content;         // JSON-escaped body, without quotes
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

struct ChatDoc {
  std::string id;
  std::string title;
  std::string model;
  std::int64_t created_s = 0;
  std::vector<ChatMessage> messages;
  std::string system;  // JSON-escaped; absorbs the bytes that make the size exact
};

// A conversation of `messages` turns with empty contents; `h` seeds it.
ChatDoc make_chat(std::string id, std::string model, std::int64_t created_s, int messages,
                  std::uint64_t h);
// Fills the message contents so that chat_json() is exactly `bytes` long when
// that is reachable (otherwise as short as possible) and returns that JSON.
std::string fill_chat(ChatDoc& doc, std::size_t bytes, std::uint64_t h);
std::string chat_json(const ChatDoc& doc);
// Python-style JSON of one message's usage, or "null" for user turns.
std::string usage_json(const ChatMessage& m);

}  // namespace syncpipe::gen
