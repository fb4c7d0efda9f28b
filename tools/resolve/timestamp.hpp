// The instants newest_wins compares. Open WebUI stores times as epoch
// seconds in some tables and nanoseconds in others (and peewee-era files
// hold text), so a number's unit is read from its magnitude:
//   |x| > 1e17 nanoseconds, > 1e14 microseconds, > 1e11 milliseconds, else seconds
// (1e11 s is the year 5138; 1e11 ms is 1973). Text that is a number is read
// as one; other text must be an ISO-8601 date-time ("2026-11-25 09:00:00",
// "2026-11-25T09:00:00.5+01:00", no zone = UTC).
#pragma once

#include <optional>
#include <string_view>

#include "core/value.hpp"

namespace syncpipe::resolve {

// Nanoseconds since the epoch (long double holds every int64 exactly), or
// nullopt for NULL, BLOB, infinities and text that is no time.
std::optional<long double> instant_ns(const Value& v);
std::optional<long double> scale_to_ns(long double x);
std::optional<long double> parse_iso8601_ns(std::string_view text);

}  // namespace syncpipe::resolve
