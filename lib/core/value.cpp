#include "core/value.hpp"

#include <cstring>

namespace syncpipe {

bool operator==(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Null: return true;
    case Kind::Integer: return a.i == b.i;
    case Kind::Real: return std::memcmp(&a.r, &b.r, sizeof a.r) == 0;  // bit-exact
    case Kind::Text:
    case Kind::Blob: return a.s == b.s;
  }
  return false;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Null: return "NULL";
    case Kind::Integer: return "INTEGER";
    case Kind::Real: return "REAL";
    case Kind::Text: return "TEXT";
    case Kind::Blob: return "BLOB";
  }
  return "?";
}

}  // namespace syncpipe
