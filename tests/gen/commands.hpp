// The subcommands of syncpipe-gen; main.cpp parses options and calls these.
// Each returns the process exit status; errors are thrown (core/error.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "world.hpp"

namespace syncpipe::sqlite {
class Database;
}

namespace syncpipe::gen {

struct CreateOptions {
  std::string schema_sql;
  std::string out;
  std::string journal = "delete";  // or "wal"
  Shape shape;
};

struct MutateOptions {
  std::string db;
  std::uint64_t seed = 1;
  std::int64_t inserts = 0, updates = 0, deletes = 0;
  std::vector<std::string> tables;  // empty: every table but the bookkeeping ones
  std::int64_t now = 0;             // epoch seconds for bumped updated_at; 0 = clock
};

int run_create(const CreateOptions& o);
int run_traps(const std::string& db_path);
int run_mutate(const MutateOptions& o);
int run_writer(const std::string& db_path, double seconds);
int run_big(const std::string& db_path, std::int64_t bytes);

// Shared by the commands on an existing file.
std::int64_t count_rows(sqlite::Database& db, const std::string& table);
// A World whose counts match the file (users from `user`, chats from `chat`).
World world_of(sqlite::Database& db, std::uint64_t seed);

}  // namespace syncpipe::gen
