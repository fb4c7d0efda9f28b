// The metrics sync-status writes for node_exporter's textfile collector
// (sync-status(1), METRICS). Totals are sums over sync_jobs, sync_progress and
// conflict_log in PostgreSQL plus their retention rollups, so they survive
// restarts and failovers of the sync nodes, and retention.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace syncpipe::status {

// The whole file for a successful read; `problems` are the health problems
// found (health.hpp), empty when healthy.
std::string render_metrics(const Snapshot& s, const std::vector<std::string>& problems);

// The file when PostgreSQL could not be read: sync_up 0 only.
std::string render_down();

}  // namespace syncpipe::status
