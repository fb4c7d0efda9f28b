// The shape of a generated tenant: how many rows each table gets, the id of
// row k of any table, and the time and unit conventions of Open WebUI
// (NOTES.md §3, §7). Row ids are pure functions of (seed, table, k), so a row
// can reference another table's row without reading it back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace syncpipe::gen {

struct Shape {
  std::uint64_t seed = 1;
  std::int64_t users = 3;
  std::int64_t chats_per_user = 5;
  std::int64_t messages_per_chat = 4;
  std::int64_t channel_messages = -1;  // -1: 5 per user
  std::int64_t chat_bytes = 4600;
};

class World {
 public:
  explicit World(Shape shape) : shape_(shape) {}

  const Shape& shape() const { return shape_; }
  std::int64_t users() const { return shape_.users; }
  std::int64_t chats() const { return shape_.users * shape_.chats_per_user; }

  // Rows `create` puts into `table` (at least 1 when users >= 1).
  std::int64_t count(std::string_view table) const;
  // Primary id of row k of `table` (the text id, or the tag name, model name...).
  std::string id(std::string_view table, std::int64_t k) const;
  // The id of row (k mod count) of `table`: a reference that exists.
  std::string ref(std::string_view table, std::int64_t k) const;
  std::string user_id(std::int64_t k) const { return ref("user", k); }
  // Tag names repeat across users (tag has key (id, user_id)).
  std::string tag_name(std::int64_t k) const;

  // Hash of (seed, table, row, salt) for Draw.
  std::uint64_t row_hash(std::string_view table, std::int64_t k, std::string_view salt) const;
  // created_at of row k in epoch seconds; grows with k, in 2024..2025.
  std::int64_t created_s(std::string_view table, std::int64_t k) const;

 private:
  Shape shape_;
};

// Tables whose timestamps are nanoseconds (NOTES.md §7); chat.timer_at too.
bool is_ns_table(std::string_view table);
bool is_ns_column(std::string_view table, std::string_view column);

}  // namespace syncpipe::gen
