#include "verify.hpp"

#include <fmt/format.h>

#include "ndjson/json_out.hpp"

namespace syncpipe::load {

std::string check_hashes(CanonicalBuffer& cb, const std::vector<std::string>& names, const ndjson::Change& c,
                         std::optional<Hash128>& v_hash) {
  v_hash.reset();
  auto where = [&] { return fmt::format("table \"{}\" key {}", c.table, ndjson::values_json(c.k)); };
  if (key_hash(cb, c.table, c.k) != c.kh)
    return fmt::format("{}: the key hash kh does not match the key (the stream was altered between stages)", where());
  if (!c.has_v) return {};
  v_hash = row_hash(cb, names, c.v);
  const auto& want = c.vh ? c.vh : c.h;  // a merged or kept-target row carries its own hash
  if (want && *v_hash == *want) return {};
  return fmt::format("{}: the row hash {} does not match the values (the stream was altered between stages)", where(),
                     c.vh ? "vh" : "h");
}

}  // namespace syncpipe::load
