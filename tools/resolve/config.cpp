#include "config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "core/error.hpp"
#include "known_schema.hpp"
#include "ndjson/json_tree.hpp"

namespace syncpipe::resolve {

using ndjson::JsonNode;
using Type = JsonNode::Type;

const char* strategy_name(Strategy s) {
  switch (s) {
    case Strategy::NewestWins: return "newest_wins";
    case Strategy::SourceWins: return "source_wins";
    case Strategy::TargetWins: return "target_wins";
    case Strategy::Merge: return "merge";
    case Strategy::Manual: return "manual";
  }
  return "?";
}

const TableRule& Config::rule_for(std::string_view table) const {
  auto it = tables.find(table);
  return it == tables.end() ? default_rule : it->second;
}

namespace {

// Walks the parsed document, naming the key path in every message.
class Parser {
 public:
  Parser(const std::string& name, std::vector<std::string>& warnings) : name_(name), warnings_(warnings) {}

  Config run(const JsonNode& root);

 private:
  [[noreturn]] void fail(std::string_view key, std::string_view why) const {
    throw InputError(fmt::format("{}: {}: {}", name_, key, why));
  }
  void warn(std::string_view key, std::string_view why) { warnings_.push_back(fmt::format("{}: {}: {}", name_, key, why)); }
  const JsonNode& want(const JsonNode& n, Type t, std::string_view key) const;
  void known_keys(const JsonNode& obj, std::string_view key, std::initializer_list<std::string_view> known);
  Strategy strategy(const JsonNode& n, std::string_view key) const;
  TableRule table(const JsonNode& n, const std::string& table, const std::string& key);
  void merge_rules(const JsonNode& n, const std::string& table, const std::string& key, TableRule& rule);
  void log(const JsonNode& n, Config& c);

  const std::string& name_;
  std::vector<std::string>& warnings_;
};

const JsonNode& Parser::want(const JsonNode& n, Type t, std::string_view key) const {
  if (!n.is(t)) fail(key, fmt::format("expected {}, found {}", ndjson::json_type_name(t), ndjson::json_type_name(n.type)));
  return n;
}

void Parser::known_keys(const JsonNode& obj, std::string_view key, std::initializer_list<std::string_view> known) {
  for (const auto& k : obj.keys)
    if (std::find(known.begin(), known.end(), k) == known.end())
      warn(key.empty() ? k : fmt::format("{}.{}", key, k), "unknown key, ignored");
}

Strategy Parser::strategy(const JsonNode& n, std::string_view key) const {
  const std::string& s = want(n, Type::String, key).text;
  for (auto st : {Strategy::NewestWins, Strategy::SourceWins, Strategy::TargetWins, Strategy::Merge, Strategy::Manual})
    if (s == strategy_name(st)) return st;
  fail(key, fmt::format("unknown strategy \"{}\" (expected newest_wins, source_wins, target_wins, merge or manual)", s));
}

void Parser::merge_rules(const JsonNode& n, const std::string& table, const std::string& key, TableRule& rule) {
  want(n, Type::Object, key);
  for (std::size_t i = 0; i < n.keys.size(); ++i) {
    const std::string& field = n.keys[i];
    std::string fkey = fmt::format("{}.\"{}\"", key, field);
    if (field.empty() || field.front() == '.' || field.back() == '.' || field.find("..") != std::string::npos)
      fail(fkey, "a merge rule names a column, optionally followed by .path.into.its.json");
    const std::string& name = want(n.items[i], Type::String, fkey).text;
    ndjson::MergeRule r;
    if (!ndjson::parse_merge_rule(name, r))
      fail(fkey, fmt::format("unknown merge rule \"{}\" (expected append, union or newest_wins)", name));
    std::string column = field.substr(0, field.find('.'));
    if (known_table(table) && !known_column(table, column))
      warn(fkey, fmt::format("Open WebUI's table \"{}\" has no column \"{}\"", table, column));
    rule.merge_rules.push_back({field, r});
  }
  if (rule.strategy != Strategy::Merge) warn(key, "merge_rules are ignored unless the strategy is merge");
}

TableRule Parser::table(const JsonNode& n, const std::string& table, const std::string& key) {
  want(n, Type::Object, key);
  known_keys(n, key, {"strategy", "compare_field", "merge_rules", "reason", "notify"});
  TableRule rule;
  const JsonNode* s = n.find("strategy");
  if (!s) fail(key, "missing \"strategy\"");
  rule.strategy = strategy(*s, key + ".strategy");
  if (const JsonNode* c = n.find("compare_field")) {
    rule.compare_field = want(*c, Type::String, key + ".compare_field").text;
    if (rule.compare_field.empty()) fail(key + ".compare_field", "empty column name");
    if (known_table(table) && !known_column(table, rule.compare_field))
      warn(key + ".compare_field", fmt::format("Open WebUI's table \"{}\" has no column \"{}\"", table, rule.compare_field));
  }
  if (const JsonNode* m = n.find("merge_rules")) merge_rules(*m, table, key + ".merge_rules", rule);
  if (const JsonNode* r = n.find("reason")) rule.reason = want(*r, Type::String, key + ".reason").text;
  if (const JsonNode* b = n.find("notify")) rule.notify = want(*b, Type::Bool, key + ".notify").b;
  return rule;
}

void Parser::log(const JsonNode& n, Config& c) {
  const std::string key = "conflict_resolution.resolution_log";
  want(n, Type::Object, key);
  known_keys(n, key, {"enabled", "retention_days", "include_data_snapshot"});
  if (const JsonNode* b = n.find("enabled")) c.log_enabled = want(*b, Type::Bool, key + ".enabled").b;
  if (const JsonNode* b = n.find("include_data_snapshot"))
    c.include_snapshot = want(*b, Type::Bool, key + ".include_data_snapshot").b;
  if (const JsonNode* d = n.find("retention_days")) {
    const std::string& t = want(*d, Type::Number, key + ".retention_days").text;
    std::size_t used = 0;
    long v = -1;
    try {
      v = std::stol(t, &used);
    } catch (const std::exception&) {
    }
    if (used != t.size() || v < 0 || v > 365000) fail(key + ".retention_days", "expected a whole number of days, 0 or more");
    c.retention_days = static_cast<int>(v);
  }
}

Config Parser::run(const JsonNode& root) {
  want(root, Type::Object, "(document)");
  known_keys(root, "", {"conflict_resolution"});
  const JsonNode* cr = root.find("conflict_resolution");
  if (!cr) fail("conflict_resolution", "missing (the config is {\"conflict_resolution\": {...}})");
  const std::string key = "conflict_resolution";
  want(*cr, Type::Object, key);
  known_keys(*cr, key, {"default_strategy", "table_strategies", "resolution_log"});
  Config c;
  if (const JsonNode* d = cr->find("default_strategy")) c.default_rule.strategy = strategy(*d, key + ".default_strategy");
  if (const JsonNode* ts = cr->find("table_strategies")) {
    want(*ts, Type::Object, key + ".table_strategies");
    for (std::size_t i = 0; i < ts->keys.size(); ++i) {
      const std::string& t = ts->keys[i];
      std::string tkey = fmt::format("{}.table_strategies.{}", key, t);
      if (!known_table(t)) warn(tkey, fmt::format("unknown table \"{}\" (not an Open WebUI table)", t));
      c.tables[t] = table(ts->items[i], t, tkey);
    }
  }
  if (const JsonNode* l = cr->find("resolution_log")) log(*l, c);
  return c;
}

}  // namespace

Config parse_config(std::string_view text, const std::string& name, std::vector<std::string>& warnings) {
  JsonNode root;
  try {
    root = ndjson::parse_json(text);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: (document): not valid JSON: {}", name, e.what()));
  }
  return Parser(name, warnings).run(root);
}

Config load_config(const std::string& path, std::vector<std::string>& warnings) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw NoInputError(fmt::format("{}: cannot open the config file", path));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw NoInputError(fmt::format("{}: cannot read the config file", path));
  return parse_config(ss.str(), path, warnings);
}

}  // namespace syncpipe::resolve
