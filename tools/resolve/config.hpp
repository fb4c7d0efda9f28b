// sync-resolve's configuration (sync-resolve(1), CONFIGURATION): a strategy
// per table, a default for the others, and what the conflict log keeps.
// The accepted shape is the one operators already have:
//   {"conflict_resolution": {"default_strategy": S,
//      "table_strategies": {TABLE: {"strategy": S, "compare_field": C,
//                                   "merge_rules": {FIELD: RULE}, "reason": R, "notify": B}},
//      "resolution_log": {"enabled": B, "retention_days": N, "include_data_snapshot": B}}}
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ndjson/json_merge.hpp"

namespace syncpipe::resolve {

enum class Strategy { NewestWins, SourceWins, TargetWins, Merge, Manual };

const char* strategy_name(Strategy s);

struct FieldRule {
  std::string field;  // "column" or "column.path.inside.its.json"
  ndjson::MergeRule rule;
};

struct TableRule {
  Strategy strategy = Strategy::NewestWins;
  std::string compare_field = "updated_at";
  std::vector<FieldRule> merge_rules;
  std::string reason;
  bool notify = false;
};

struct Config {
  TableRule default_rule;
  std::map<std::string, TableRule, std::less<>> tables;
  bool log_enabled = true;
  bool include_snapshot = false;
  int retention_days = 30;

  const TableRule& rule_for(std::string_view table) const;
};

// The configuration shipped as config/conflict-resolution-default.json,
// used when no --config is given.
extern const char* const kDefaultConfigText;

// Parses a config. Errors throw InputError("<name>: <key.path>: <why>");
// doubtful but usable entries (unknown keys, tables or columns Open WebUI
// does not have) are appended to `warnings` in the same form.
Config parse_config(std::string_view text, const std::string& name, std::vector<std::string>& warnings);
// Reads and parses a file (NoInputError when it cannot be read).
Config load_config(const std::string& path, std::vector<std::string>& warnings);

}  // namespace syncpipe::resolve
