// Field-level merge of two versions of one JSON document (sync-resolve's
// "merge" strategy, sync-resolve(1)). A rule applies at a path of object
// keys inside the document ("" = the whole document, "history.messages" =
// key "messages" of key "history"):
//   union   arrays: set union by element JSON text (target order, then the
//           source's new elements); objects: union of keys, recursively for
//           members both sides hold as objects or arrays, the source's value
//           otherwise; anything else: the newer side's value.
//   append  arrays: the target's elements, then the source's elements not
//           already present by identity (their "id" member when both are
//           objects with one, else their JSON text); objects: as union.
//   newest_wins  the newer side's value.
// A side without the path contributes nothing: the other side's value is
// taken as it is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ndjson/json_tree.hpp"

namespace syncpipe::ndjson {

enum class MergeRule { Append, Union, NewestWins };

const char* merge_rule_name(MergeRule r);
bool parse_merge_rule(std::string_view name, MergeRule& out);

struct PathRule {
  std::string path;  // dot-separated object keys; "" = the whole document
  MergeRule rule;
};

JsonNode union_nodes(const JsonNode& target, const JsonNode& source);
JsonNode append_nodes(const JsonNode& target, const JsonNode& source);

// Merges the column's two versions. The result starts as `base` (the
// document of the row-level winner) and each rule replaces the value at its
// path with the merge of target's and source's values there. `notes` gets
// one line for each rule that could not apply as asked (types differ, a path
// crosses a non-object). Throws InputError when a text is not valid JSON.
std::string merge_json(std::string_view base, std::string_view target, std::string_view source,
                       const std::vector<PathRule>& rules, bool source_newer, std::vector<std::string>& notes);

}  // namespace syncpipe::ndjson
