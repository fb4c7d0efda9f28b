// The human report of sync-status on stdout: a one-line summary per cluster,
// a table of tenants, optionally one tenant's recent jobs and the conflict
// log, and the health verdict.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "model.hpp"

namespace syncpipe::status {

std::string render_human(const Snapshot& s, const Query& q, const std::vector<std::string>& problems);

// "45 s", "2 min" (from 60 s), "3 h" (from 2 h), "2 d" (from 48 h).
std::string format_age(std::int64_t seconds);

}  // namespace syncpipe::status
