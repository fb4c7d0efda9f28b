// The --json report of sync-status: one JSON object on one line (see
// sync-status(1), JSON OUTPUT). Times are ISO 8601 UTC strings; ages and
// durations are numbers of seconds; absent values are null.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace syncpipe::status {

std::string render_json(const Snapshot& s, const Query& q, const std::vector<std::string>& problems);

}  // namespace syncpipe::status
