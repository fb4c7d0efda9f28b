// Text checks as PostgreSQL's input functions need them: valid UTF-8 for
// text, and syntactically valid UTF-8 JSON for json (a value that fails is
// quarantined, not sent). Both run in one pass with no copy of the text.
#pragma once

#include <string_view>

namespace syncpipe {

bool valid_utf8(std::string_view bytes);
bool is_valid_json(std::string_view text);

}  // namespace syncpipe
