#include "ndjson/json_check.hpp"

#include <simdjson.h>

namespace syncpipe::ndjson {

bool is_valid_json(std::string_view text) {
  static thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  return parser.parse(padded).get(doc) == simdjson::SUCCESS;
}

}  // namespace syncpipe::ndjson

#include "ndjson/json_out.hpp"

namespace syncpipe::ndjson {
TextChecks text_checks() { return {&valid_utf8, &is_valid_json}; }
}  // namespace syncpipe::ndjson
