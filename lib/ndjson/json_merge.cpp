#include "ndjson/json_merge.hpp"

#include <fmt/format.h>

#include <unordered_set>

namespace syncpipe::ndjson {

using Type = JsonNode::Type;

const char* merge_rule_name(MergeRule r) {
  switch (r) {
    case MergeRule::Append: return "append";
    case MergeRule::Union: return "union";
    case MergeRule::NewestWins: return "newest_wins";
  }
  return "?";
}

bool parse_merge_rule(std::string_view name, MergeRule& out) {
  for (auto r : {MergeRule::Append, MergeRule::Union, MergeRule::NewestWins})
    if (name == merge_rule_name(r)) {
      out = r;
      return true;
    }
  return false;
}

namespace {

JsonNode union_arrays(const JsonNode& t, const JsonNode& s) {
  JsonNode out;
  out.type = Type::Array;
  std::unordered_set<std::string> seen;
  for (const auto* side : {&t, &s})
    for (const auto& e : side->items)
      if (seen.insert(to_json(e)).second) out.items.push_back(e);
  return out;
}

JsonNode union_objects(const JsonNode& t, const JsonNode& s) {
  JsonNode out = t;
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    const JsonNode& sv = s.items[i];
    JsonNode* tv = out.find(s.keys[i]);
    bool deep = tv && tv->type == sv.type && (sv.is(Type::Object) || sv.is(Type::Array));
    out.set(s.keys[i], deep ? union_nodes(*tv, sv) : sv);
  }
  return out;
}

// An array element's identity for append: its "id" member, else its text.
std::string identity(const JsonNode& e) {
  if (e.is(Type::Object))
    if (const JsonNode* id = e.find("id")) return "id:" + to_json(*id);
  return "json:" + to_json(e);
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    auto dot = path.find('.');
    out.emplace_back(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return out;
}

const JsonNode* at(const JsonNode& root, const std::vector<std::string>& path) {
  const JsonNode* n = &root;
  for (const auto& k : path) {
    if (!n->is(Type::Object)) return nullptr;
    n = n->find(k);
    if (!n) return nullptr;
  }
  return n;
}

// Sets the value at path, creating missing objects on the way. False when
// the path crosses a value that is not an object.
bool set_at(JsonNode& root, const std::vector<std::string>& path, JsonNode value) {
  JsonNode* n = &root;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!n->is(Type::Object)) return false;
    JsonNode* next = n->find(path[i]);
    if (!next) {
      JsonNode fresh;
      fresh.type = Type::Object;
      next = &n->set(path[i], std::move(fresh));
    }
    n = next;
  }
  *n = std::move(value);
  return true;
}

JsonNode apply_rule(const JsonNode& t, const JsonNode& s, const PathRule& r, bool source_newer,
                    std::vector<std::string>& notes) {
  if (r.rule == MergeRule::NewestWins) return source_newer ? s : t;
  bool both_arrays = t.is(Type::Array) && s.is(Type::Array);
  bool both_objects = t.is(Type::Object) && s.is(Type::Object);
  if (both_arrays) return r.rule == MergeRule::Append ? append_nodes(t, s) : union_arrays(t, s);
  if (both_objects) return union_objects(t, s);
  notes.push_back(fmt::format("{} at \"{}\": {} and {} do not merge, the {} side's value kept", merge_rule_name(r.rule),
                              r.path, json_type_name(t.type), json_type_name(s.type),
                              source_newer ? "newer (source)" : "newer (target)"));
  return source_newer ? s : t;
}

}  // namespace

JsonNode union_nodes(const JsonNode& target, const JsonNode& source) {
  if (target.is(Type::Array) && source.is(Type::Array)) return union_arrays(target, source);
  if (target.is(Type::Object) && source.is(Type::Object)) return union_objects(target, source);
  return source;
}

JsonNode append_nodes(const JsonNode& target, const JsonNode& source) {
  if (!target.is(Type::Array) || !source.is(Type::Array)) return union_nodes(target, source);
  JsonNode out = target;
  std::unordered_set<std::string> seen;
  for (const auto& e : target.items) seen.insert(identity(e));
  for (const auto& e : source.items)
    if (seen.insert(identity(e)).second) out.items.push_back(e);
  return out;
}

std::string merge_json(std::string_view base, std::string_view target, std::string_view source,
                       const std::vector<PathRule>& rules, bool source_newer, std::vector<std::string>& notes) {
  JsonNode t = parse_json(target);
  JsonNode s = parse_json(source);
  // The base is usually one of the sides (the newer row's value): no third parse.
  JsonNode out = base == source ? s : base == target ? t : parse_json(base);
  for (const auto& r : rules) {
    auto path = split_path(r.path);
    const JsonNode* tv = at(t, path);
    const JsonNode* sv = at(s, path);
    if (!tv && !sv) continue;
    JsonNode merged = !tv ? *sv : !sv ? *tv : apply_rule(*tv, *sv, r, source_newer, notes);
    if (!set_at(out, path, std::move(merged)))
      notes.push_back(fmt::format("{} at \"{}\": the path crosses a value that is not an object, rule skipped",
                                  merge_rule_name(r.rule), r.path));
  }
  return to_json(out);
}

}  // namespace syncpipe::ndjson
