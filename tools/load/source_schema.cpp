#include "source_schema.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text_check.hpp"
#include "ndjson/json_out.hpp"
#include "pg/connection.hpp"

namespace syncpipe::load {

namespace {

const std::string& checked(const ndjson::SchemaObject& o, const std::string& text, const char* what) {
  if (text.find('\0') != std::string::npos || !valid_utf8(text))
    throw InputError(fmt::format("sqlite_schema: {} of {} \"{}\" is not valid UTF-8 without NUL bytes", what, o.type,
                                 valid_utf8(o.name) ? o.name : std::string("?")));
  return text;
}

std::string objects_json(const ndjson::SqliteSchema& s) {
  ndjson::JsonBuf j;
  j.open_array();
  int ordinal = 0;
  for (const auto& o : s.objects) {
    j.comma().open().key("o").integer(ordinal++).key("type").string(checked(o, o.type, "type"));
    j.key("name").string(checked(o, o.name, "name")).key("tbl_name").string(checked(o, o.tbl_name, "tbl_name"));
    j.key("sql");
    if (o.sql) j.string(checked(o, *o.sql, "SQL text")); else j.null();
    j.close();
  }
  j.close_array();
  return j.str();
}

}  // namespace

void store_source_schema(pg::Connection& c, const std::string& host, const std::string& client,
                         const ndjson::SqliteSchema& s) {
  c.exec_params("DELETE FROM sync_metadata.source_schema WHERE client_id = $1", {pg::Param::text(client)});
  c.exec_params(
      "INSERT INTO sync_metadata.source_schema (host_id, client_id, ordinal, type, name, tbl_name, sql) "
      "SELECT $1, $2, x.o, x.type, x.name, x.tbl_name, x.sql FROM json_to_recordset($3::json) "
      "AS x(o int, type text, name text, tbl_name text, sql text)",
      {pg::Param::text(host), pg::Param::text(client), pg::Param::text(objects_json(s))});
  c.exec_params("UPDATE sync_metadata.client_deployments SET source_user_version = $2 WHERE client_id = $1",
                {pg::Param::text(client), pg::Param::int64(s.user_version)});
}

bool refresh_source_schema(pg::Connection& c, const std::string& client, const ndjson::SqliteSchema& s) {
  auto r = c.exec_params("SELECT sync_metadata.refresh_source_schema($1, $2::json, $3)",
                         {pg::Param::text(client), pg::Param::text(objects_json(s)), pg::Param::int64(s.user_version)});
  return r.get(0, 0) == "t";
}

}  // namespace syncpipe::load
