// JSON columns by name. Text as SQLAlchemy writes it (json_out.hpp); both the
// 4-character text 'null' and SQL NULL occur in nullable columns.
#include <fmt/format.h>

#include "chat_json.hpp"
#include "json_out.hpp"
#include "rng.hpp"
#include "text.hpp"
#include "values.hpp"
#include "world.hpp"

namespace syncpipe::gen {

namespace {

std::string small_chat(const Cell& cell, Draw& d) {
  ChatDoc doc = make_chat("", cell.w.ref("model", cell.k), cell.w.created_s(cell.t.name, cell.k),
                          2 + static_cast<int>(d.below(3)), d.next());
  std::string chat = fill_chat(doc, 1200 + d.below(2000), d.next());
  return cell.c.name == "snapshot" ? "{\"chat\": " + chat + "}" : chat;
}

std::string meta_json(const Cell& cell, Draw& d) {
  const std::string& t = cell.t.name;
  std::string out;
  JsonOut j(out);
  j.begin_object();
  if (t == "chat") {
    j.key("tags").begin_array();
    if (d.chance(50)) j.string(cell.w.tag_name(d.below(3)));
    j.end_array();
  } else if (t == "model") {
    j.key("profile_image_url").string("data:image/png;base64," + token_chars(d.next(), 300));
    j.key("description").string(prose(d, 6)).key("capabilities").begin_object();
    j.key("vision").boolean(d.chance(50)).key("citations").boolean(true).end_object();
  } else if (t == "tool" || t == "function") {
    j.key("description").string(prose(d, 6)).key("manifest").begin_object();
    j.key("version").string("0.1.0").end_object();
  } else if (t == "file") {
    j.key("name").string(word(d) + ".pdf").key("content_type").string("application/pdf");
    j.key("size").number(static_cast<std::int64_t>(d.below(5'000'000)));
  } else {
    j.key("description").string(words(d, 4));
  }
  j.end_object();
  return out;
}

std::string data_json(const Cell& cell, Draw& d) {
  const std::string& t = cell.t.name;
  std::string out;
  JsonOut j(out);
  j.begin_object();
  if (t == "file") {
    j.key("status")
        .string("completed")
        .key("content")
        .string(prose(d, 150 + static_cast<int>(d.below(300))));
  } else if (t == "automation") {
    j.key("prompt").string(prose(d, 8)).key("model_id").string(cell.w.ref("model", cell.k));
    j.key("rrule").string("FREQ=DAILY;BYHOUR=7");
  } else {
    j.key(word(d)).string(words(d, 3));
  }
  j.end_object();
  return out;
}

std::string config_value(const Cell& cell, Draw& d) {
  const std::string key = cell.w.id("config", cell.k);
  if (key == "version") return "0";
  if (key.ends_with("chunk_size")) return "1000";  // NUMERIC affinity stores it as INTEGER
  if (key.ends_with("enable") || key.ends_with("enable_signup"))
    return d.chance(50) ? "true" : "false";
  if (key.ends_with("_urls") || key.ends_with("api_keys")) return "[\"http://localhost:11434\"]";
  if (key.ends_with("template")) return json_string(prose(d, 30));
  return json_string(words(d, 2));
}

std::string by_name(const Cell& cell, Draw& d) {
  const std::string& n = cell.c.name;
  if (n == "meta") return meta_json(cell, d);
  if (n == "data") return data_json(cell, d);
  if (n == "value") return config_value(cell, d);
  if (n == "chat" || n == "snapshot") return small_chat(cell, d);
  if (n == "valves")
    return d.chance(50) ? json_string("gAAAAAB" + token_chars(d.next(), 120))
                        : "{\"priority\": 0, \"api_key\": \"\"}";
  if (n == "params")
    return "{\"temperature\": 0.7, \"top_p\": 0.9, \"system\": " + json_string(prose(d, 8)) + "}";
  if (n == "specs")
    return "[{\"name\": " + json_string(word(d)) + ", \"description\": " + json_string(prose(d, 6)) +
           ", \"parameters\": {\"type\": \"object\", \"properties\": {}}}]";
  if (n == "settings")
    return "{\"ui\": {\"theme\": \"dark\", \"models\": [\"" + cell.w.ref("model", cell.k) + "\"]}}";
  if (n == "permissions")
    return "{\"workspace\": {\"models\": false, \"tools\": true}, \"chat\": {\"file_upload\": "
           "true}}";
  if (n == "oauth") return "{\"oidc\": {\"sub\": \"" + hex(d.next(), 24) + "\"}}";
  if (n == "usage")
    return "{\"prompt_tokens\": 12, \"completion_tokens\": 34, \"total_tokens\": 46}";
  if (n == "content") return json_string(prose(d, 20));
  if (n == "error") return "{\"content\": " + json_string(prose(d, 5)) + "}";
  if (n == "items" || n == "files" || n == "sources" || n == "embeds" || n == "tags" ||
      n == "status_history" || n == "output" || n == "models") {
    return d.chance(50) ? "[]"
                        : "[{\"type\": \"file\", \"id\": \"" + cell.w.ref("file", cell.k) + "\"}]";
  }
  return "{" + json_string(word(d)) + ": " + json_string(words(d, 2)) + "}";
}

}  // namespace

Value json_value(const Cell& cell, Draw& d) {
  const std::string& n = cell.c.name;
  if (!cell.c.notnull) {
    // info/scim/variables/error are mostly unset; every JSON column sometimes is.
    bool rare = n == "info" || n == "scim" || n == "variables" || n == "error" || n == "oauth";
    std::uint64_t r = d.below(100);
    if (r < (rare ? 40u : 6u)) return std::string("null");
    if (r < (rare ? 80u : 12u)) return {};
  }
  if (n == "meta" && cell.t.name == "chat" && d.chance(30)) return std::string("{}");
  return by_name(cell, d);
}

}  // namespace syncpipe::gen
