// The base state of one tenant: for every row key last loaded, the source
// row hash, the target hash and the status (sync_metadata.row_state). It is
// authoritative in PostgreSQL; a node keeps a copy in a local cache file
// that is trusted only when its generation equals PostgreSQL's
// client_deployments.generation for the tenant (DESIGN.md, Change detection).
//
// Cache file (all integers little-endian):
//   magic    8 bytes  "SYNCBASE"
//   version  u32      1
//   gen      i64      the generation this state describes
//   client   u32 length + bytes
//   ntables  u32, then per table: u32 length + name bytes
//   nentries u64, then per entry 54 bytes:
//            kh.hi kh.lo src.hi src.lo tgt.hi tgt.lo (u64 each), has_tgt u8,
//            status u8 (0 loaded, 1 quarantined, 2 absent), table u32
//   checksum u64      XXH3-64 of every byte before it
// A file that is missing, short, longer, of another version or whose
// checksum differs is not used (load() returns nullopt): a bad cache only
// costs a refresh from PostgreSQL, never a wrong diff.
//
// Use (sync-diff reads it, sync-load updates it after its last commit):
//   auto path = cache_path(default_state_dir(), client);
//   auto base = BaseState::load(path);
//   if (base && base->client == client && base->generation == pg_generation) { ... }
//   base->put(kh, base->table_id("chat"), src, tgt, BaseStatus::Loaded);  // insert/update/record
//   base->entries.erase(kh);                                               // delete
//   base->generation = new_generation;
//   base->save(path);  // atomic: temp file, fsync, rename, fsync of the directory
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base_map.hpp"
#include "core/hash.hpp"

namespace syncpipe {

const char* base_status_name(BaseStatus s);                   // "loaded", "quarantined", "absent"
std::optional<BaseStatus> parse_base_status(std::string_view s);

class BaseState {
 public:
  std::string client;
  std::int64_t generation = 0;
  std::vector<std::string> tables;
  BaseMap entries;  // key hash -> entry (lib/core/base_map.hpp)

  // The index of `name` in tables, added if missing.
  std::uint32_t table_id(std::string_view name);
  // The index of `name`, or nullopt if no entry ever named it.
  std::optional<std::uint32_t> find_table(std::string_view name) const;
  // Inserts or replaces the entry of kh (seen stays false).
  void put(const Hash128& kh, std::uint32_t table, const Hash128& src, const std::optional<Hash128>& tgt,
           BaseStatus status);

  // nullopt if the file is missing, unreadable or corrupt (never throws for that).
  static std::optional<BaseState> load(const std::string& path);
  // Writes path atomically (path.tmp.<pid>, fsync, rename), creating its
// missing directories (mode 0700). Throws RuntimeError.
  void save(const std::string& path) const;
};

// $STATE_DIRECTORY (its first entry; systemd's StateDirectory=), else
// $XDG_STATE_HOME/syncpipe, else ~/.local/state/syncpipe (so a pipeline typed
// in a shell has its cache too); /var/lib/syncpipe only without any home.
std::string default_state_dir();
// DIR/<client>.base, with every byte of client outside [A-Za-z0-9_-] written
// as %XX (so "../x" becomes "%2E%2E%2Fx"): a tenant id can never leave DIR.
std::string cache_path(const std::string& dir, const std::string& client);

}  // namespace syncpipe
