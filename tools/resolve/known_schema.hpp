// Open WebUI's tables and columns, for --check-config warnings.
#pragma once

#include <string_view>

namespace syncpipe::resolve {

bool known_table(std::string_view table);
// True for a column of a known table, and for any column of an unknown one.
bool known_column(std::string_view table, std::string_view column);

}  // namespace syncpipe::resolve
