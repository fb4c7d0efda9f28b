// JSON validity as PostgreSQL's json type would need it: syntactically valid
// UTF-8 JSON. Used to quarantine values a json column would reject.
#pragma once

#include <string_view>

namespace syncpipe::ndjson {

bool is_valid_json(std::string_view text);

}  // namespace syncpipe::ndjson

#include "core/typemap.hpp"

namespace syncpipe::ndjson {
// The UTF-8 and JSON checks to_target() needs.
TextChecks text_checks();
}  // namespace syncpipe::ndjson
