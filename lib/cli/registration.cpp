#include "cli/registration.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "ndjson/protocol.hpp"
#include "pg/connection.hpp"

namespace syncpipe::cli {

Registration check_registration(pg::Connection& conn, const ndjson::Header& h) {
  auto r = conn.exec_params(
      "SELECT generation, schema_name FROM sync_metadata.client_deployments WHERE client_id = $1",
      {pg::Param::text(h.client)});
  if (r.ntuples() == 0)
    throw InputError(fmt::format("tenant {} is not provisioned for host {} (run sync-snapshot --client {} --no-lease "
                                 "FILE | sync-load --provision)",
                                 h.client, h.host, h.client));
  Registration reg{r.get_int64(0, 0), std::string(r.get(0, 1))};
  if (reg.schema != h.schema)
    throw InputError(fmt::format("tenant {}: the stream names schema \"{}\", but the tenant is registered in schema "
                                 "\"{}\" (host {}); refused, nothing written",
                                 h.client, h.schema, reg.schema, h.host));
  return reg;
}

}  // namespace syncpipe::cli
