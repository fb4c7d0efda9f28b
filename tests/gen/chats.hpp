// A chat row together with its chat_message rows, kept consistent: the same
// message ids, contents and timestamps in `chat.chat` and in chat_message.
#pragma once

#include <cstdint>
#include <string>

namespace syncpipe::gen {

class World;
class Inserter;

struct ChatPlan {
  std::int64_t row = 0;  // chat row index (seeds the generic columns)
  std::string id;        // chat id
  std::string user_id;
  std::size_t bytes = 4600;  // target size of the chat JSON
  int messages = 4;
  std::int64_t message_row = 0;  // chat_message row index of the first message
};

// Inserts the chat and its messages; returns the number of chat_message rows.
std::int64_t insert_chat(const World& w, Inserter& chats, Inserter& messages, const ChatPlan& plan);

}  // namespace syncpipe::gen
