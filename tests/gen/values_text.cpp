// TEXT columns by name. Plain TEXT keeps raw UTF-8 (only JSON is escaped).
#include <fmt/format.h>

#include <array>
#include <cctype>

#include "rng.hpp"
#include "text.hpp"
#include "values.hpp"
#include "world.hpp"

namespace syncpipe::gen {

namespace {

std::string python_source(Draw& d, const std::string& id) {
  std::string src = fmt::format(
      "\"\"\"\ntitle: {}\nauthor: syncpipe-gen\nversion: 0.{}.0\n\"\"\"\n\n"
      "from pydantic import BaseModel, Field\n\n\nclass Valves(BaseModel):\n"
      "    priority: int = Field(default=0)\n\n\nclass Tools:\n"
      "    def __init__(self):\n        self.valves = Valves()\n",
      id, d.below(9));
  for (int i = 0, n = 3 + static_cast<int>(d.below(8)); i < n; ++i) {
    src += fmt::format(
        "\n    def {}_{}(self, text: str) -> str:\n        \"\"\"{}\"\"\"\n"
        "        return text.replace(\"{}\", \"{}\")\n",
        word(d), i, prose(d, 6), word(d), word(d));
  }
  return src;
}

std::string pick(Draw& d, std::initializer_list<const char*> options) {
  return *(options.begin() + d.below(options.size()));
}

Value by_table(const Cell& cell, Draw& d, bool& matched) {
  const std::string& t = cell.t.name;
  const std::string& n = cell.c.name;
  matched = true;
  if (n == "role") {
    if (t == "user") return std::string(cell.k == 0 ? "admin" : d.chance(10) ? "pending" : "user");
    if (t == "chat_message") return std::string(cell.k % 2 == 0 ? "user" : "assistant");
    return pick(d, {"member", "admin"});
  }
  if (n == "type") {
    if (t == "function") return pick(d, {"filter", "action", "pipe"});
    if (t == "memory") return std::string("context");
    if (t == "feedback") return std::string("rating");
    if (t == "channel") return d.chance(50) ? Value() : Value(pick(d, {"group", "dm"}));
    return std::string("default");
  }
  if (n == "status") {
    if (t == "automation_run") return pick(d, {"success", "success", "error", "running"});
    if (t == "calendar_event_attendee") return pick(d, {"accepted", "declined", "pending"});
    return pick(d, {"active", "away"});
  }
  if (n == "name" && t == "tag") return cell.w.id("tag", cell.k);
  if (n == "tag_name") return cell.w.tag_name(cell.k % 3);
  if (n == "content" && (t == "tool" || t == "function"))
    return python_source(d, cell.w.id(t, cell.k));
  if (n == "error" && t == "automation_run") return d.chance(70) ? Value() : Value(prose(d, 8));
  matched = false;
  return {};
}

Value by_name(const Cell& cell, Draw& d, bool& matched) {
  const std::string& n = cell.c.name;
  const std::uint64_t h = d.next();
  matched = true;
  if (n == "email") return fmt::format("user{}@example.com", cell.k);
  if (n == "username") return fmt::format("user_{}", cell.k);
  if (n == "password") return "$2b$12$" + token_chars(h, 53);
  if (n == "token") return "gAAAAAB" + token_chars(h, 140);
  if (n == "key") return "sk-" + hex(h, 32);
  if (n == "hash") return hex(h, 64);
  if (n == "collection_name") return hex(h, 63);
  if (n == "version_num") return std::string("d4c1a8e37b62");
  if (n == "profile_image_url" || n == "profile_banner_image_url") {
    if (d.chance(30)) return std::string("/user.png");
    return "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" + token_chars(h, 400 + d.below(1200));
  }
  if (n == "filename") return fmt::format("{}-{}.pdf", word(d), cell.k);
  if (n == "path")
    return fmt::format("/app/backend/data/uploads/{}_{}-{}.pdf", cell.w.id(cell.t.name, cell.k),
                       word(d), cell.k);
  if (n == "provider") return pick(d, {"google", "github", "oidc", "microsoft"});
  if (n == "permission") return pick(d, {"read", "write"});
  if (n == "command") return fmt::format("/{}-{}", word(d), cell.k);
  if (n == "color") return "#" + hex(h, 6);
  if (n == "rrule") return d.chance(50) ? Value() : Value(std::string("FREQ=WEEKLY;BYDAY=MO,WE"));
  if (n == "gender") return pick(d, {"female", "male", "", "diverse"});
  if (n == "timezone") return pick(d, {"Europe/Berlin", "America/New_York", "Asia/Tokyo"});
  if (n == "presence_state") return pick(d, {"online", "away", "offline"});
  if (n == "status_emoji")
    return d.chance(60) ? Value() : Value(pick(d, {"\xf0\x9f\x98\x80", "\xf0\x9f\x9a\x80"}));
  if (n == "date_of_birth")
    return d.chance(50)
               ? Value()
               : Value(fmt::format("19{}-0{}-1{}", 60 + d.below(40), 1 + d.below(9), d.below(10)));
  if (n == "name" || n == "title") return words(d, 2 + static_cast<int>(d.below(4)));
  if (n == "content") return prose(d, 20);
  if (n == "description" || n == "bio" || n == "summary" || n == "commit_message" ||
      n == "status_message" || n == "location" || n == "context_summary") {
    return d.chance(25) ? Value() : Value(d.chance(10) ? std::string() : prose(d, 8));
  }
  matched = false;
  return {};
}

bool int_affinity(const sqlite::Column& c) {
  std::string t = c.declared_type;
  for (char& ch : t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return t.find("INT") != std::string::npos;
}

}  // namespace

Value text_value(const Cell& cell, Draw& d, bool& matched) {
  matched = false;
  if (int_affinity(cell.c)) return {};
  Value v = by_table(cell, d, matched);
  if (matched) return v;
  return by_name(cell, d, matched);
}

}  // namespace syncpipe::gen
