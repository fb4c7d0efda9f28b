// Re-creating a schema object from its sqlite_master text (restore and
// --from-postgres). That text comes from PostgreSQL, where sync_service can
// refresh it (sql/012_source_schema_current.sql), so it is run only when it
// is what sqlite_master holds: ONE CREATE statement of the object's kind.
// A forged text (a second statement, an ATTACH, a PRAGMA) runs nothing.
#pragma once

#include <string>
#include <string_view>

#include "sqlite/database.hpp"

namespace syncpipe::sqlite {

// Runs `sql` in `db` if it is a single "CREATE [VIRTUAL] TABLE|[UNIQUE] INDEX|
// VIEW|TRIGGER ..." statement matching `type` ("table", "index", "view",
// "trigger"). Throws InputError naming the object otherwise, RuntimeError
// when SQLite refuses the statement.
void create_object(Database& db, std::string_view type, std::string_view name, const std::string& sql);

}  // namespace syncpipe::sqlite
