// SQLite's column affinity (https://sqlite.org/datatype3.html, 3.1 and 3.4),
// used to give a value read back from PostgreSQL the storage class SQLite
// stored it with: the target image (lib/core/typemap.hpp) says what
// PostgreSQL holds; the declared type's affinity says what the same value
// became when Open WebUI wrote it, because SQLite applies the affinity on
// every INSERT and UPDATE (sync-snapshot(1), --from-postgres): the image's
// own storage class, then apply_affinity() of the declared type.
#pragma once

#include <string_view>
#include <vector>

#include "core/typemap.hpp"
#include "core/value.hpp"

namespace syncpipe {

enum class Affinity { Integer, Text, Blob, Real, Numeric };

// The affinity of a declared type, by SQLite's five rules in their order.
Affinity affinity_of(std::string_view decl);

// What SQLite stores when `v` is written into a column of affinity `a`:
// NUMERIC and INTEGER turn a well-formed numeric text into INTEGER (or REAL)
// and an integral REAL into INTEGER; REAL turns numbers and numeric text
// into REAL. TEXT and BLOB leave v as it is here (a PostgreSQL image of a
// TEXT-affinity column is always text already).
void apply_affinity(Value& v, Affinity a);

// True when a column's source values cannot be told from its target image
// by the affinity alone: a column without affinity (BLOB: no type, or BLOB)
// whose PostgreSQL type also holds another storage class (double precision:
// INTEGER or REAL; text and json: TEXT or a number; bytea: BLOB or TEXT).
bool ambiguous(Affinity a, PgType t);

// The other SQLite values the image of an ambiguous column may have come
// from, in the order to try them (the image itself is not included).
std::vector<Value> alternatives(const Value& image, PgType t);

}  // namespace syncpipe
