// sync-jobs due: which tenants of a host a cycle must run now (sync-jobs(1)).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ndjson/protocol.hpp"

namespace syncpipe::jobs {

struct DueOptions {
  std::string dsn;
  ndjson::Lease lease;  // the cycle's lease: every write here is fenced by it
};

// One tenant the schedule says is due, as the state in PostgreSQL has it.
struct Tenant {
  std::string client, schema, source, why;
  std::string stored_fingerprint;  // "" = none
  bool may_skip = false;           // last job succeeded, no open conflict, not requested
};

// True when `t`'s file is provably what its base state holds (the stored
// fingerprint equals the file's own now), so the pipeline would find nothing.
bool unchanged(const Tenant& t);

// In one fenced transaction: marks jobs left running by an earlier cycle as
// failed, records a successful no-change job for every due tenant whose file
// is unchanged, clears the requests of the tenants handed over, and prints
// "CLIENT TAB SCHEMA TAB SOURCE TAB AFTER_JOB_ID" for every other due tenant.
int due(const DueOptions& opt);

}  // namespace syncpipe::jobs
