// The built-in configuration: byte for byte config/conflict-resolution-default.json
// (tests/cli/resolve.bats compares them through --default-config).
#include "config.hpp"

namespace syncpipe::resolve {

const char* const kDefaultConfigText = R"json({
  "conflict_resolution": {
    "default_strategy": "newest_wins",
    "table_strategies": {
      "user": {"strategy": "newest_wins", "compare_field": "updated_at"},
      "chat": {
        "strategy": "merge",
        "merge_rules": {
          "chat.history.messages": "union",
          "chat.messages": "append",
          "meta.tags": "union",
          "title": "newest_wins"
        }
      },
      "oauth_session": {"strategy": "source_wins", "reason": "Active sessions should not be overwritten"},
      "config": {"strategy": "manual", "notify": true, "reason": "Configuration changes require review"}
    },
    "resolution_log": {"enabled": true, "retention_days": 30, "include_data_snapshot": false}
  }
}
)json";

}  // namespace syncpipe::resolve
