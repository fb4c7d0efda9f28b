// A small owned JSON tree, for the few places that must read or rewrite
// whole JSON documents rather than stream records: sync-resolve's config
// file and the merge of JSON columns (json_merge.hpp). Integers keep their
// exact value, other numbers their shortest round-trip double form; strings
// are held unescaped; object members keep their order (and duplicates;
// find() returns the first). Integers beyond 64 bits are refused as invalid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace syncpipe::ndjson {

struct JsonNode {
  enum class Type { Null, Bool, Number, String, Array, Object };

  Type type = Type::Null;
  bool b = false;
  std::string text;                // Number: its JSON text; String: the unescaped UTF-8
  std::vector<std::string> keys;   // Object: member names, parallel to items
  std::vector<JsonNode> items;     // Array elements or Object member values

  bool is(Type t) const { return type == t; }
  const JsonNode* find(std::string_view key) const;  // Object member, or nullptr
  JsonNode* find(std::string_view key);
  // Object: sets member `key` (replacing the first of that name, else appending).
  JsonNode& set(std::string_view key, JsonNode value);
};

const char* json_type_name(JsonNode::Type t);

// Parses one JSON document. Throws InputError("<why>") when it is not valid JSON.
JsonNode parse_json(std::string_view text);

// Compact JSON text (no whitespace). Strings are escaped as JsonBuf does.
std::string to_json(const JsonNode& node);
void append_json(std::string& out, const JsonNode& node);

}  // namespace syncpipe::ndjson
