// How SQLite columns and values map onto PostgreSQL (DESIGN.md, "Target
// tables"): the column type chosen at provisioning, the conversion of a
// source value into what the target column stores, and the way back from
// PostgreSQL's text output. The "target image" of a value is what the target
// stores, expressed again as a SQLite value (sync-protocol(7), HASHES).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/value.hpp"

namespace syncpipe {

enum class PgType { Bigint, Double, Boolean, Text, Json, Bytea };

const char* pg_type_name(PgType t);                    // SQL spelling, e.g. "double precision"
std::optional<PgType> parse_pg_type(std::string_view);  // from format_type() / pg_type_name()

// Storage classes seen in a column's values (for declared types that do not
// say what they hold, e.g. peewee's DATETIME holding integer seconds).
struct ClassStats {
  bool integer = false, real = false, text = false, blob = false;
  std::int64_t max_abs_int = 0;
  void add(const Value& v);
};

// Chooses the PostgreSQL type of a column from its declared type, its name
// and (optionally) the classes of the values present when it is provisioned.
PgType choose_pg_type(std::string_view decl, std::string_view name, const ClassStats& seen);
// True when choose_pg_type could have chosen t for this column with some
// values present (schema evolution: a declared type that can no longer map
// to the column's type is a type change).
bool could_choose_pg_type(std::string_view decl, std::string_view name, PgType t);

// Converts v into the target image for a column of type t. Returns the
// reason when PostgreSQL cannot hold the value as that type (the row is then
// quarantined): a NUL byte or invalid UTF-8 in text, TEXT in a bigint, ...
std::optional<std::string> to_target(const Value& v, PgType t, Value& out);
// The same in two steps that copy nothing: the reason v cannot be stored
// (nullopt if it can), whether its target image is v itself, and the
// conversion in place. REQUIRES for convert_target: check_target passed.
std::optional<std::string> check_target(const Value& v, PgType t);
bool same_image(const Value& v, PgType t);
void convert_target(Value& v, PgType t);

// Parses PostgreSQL's text output of a column of type t into its target image.
// REQUIRES: extra_float_digits >= 1 (PostgreSQL 12+ default), bytea_output hex.
Value from_pg_text(std::string_view text, PgType t);

// The shortest text that reads back as exactly d (std::to_chars), as a REAL
// is written into a text column and into COPY data.
std::string shortest_text(double d);

}  // namespace syncpipe
