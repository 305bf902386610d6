// Timestamps as the OCI state and the logs write them.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>
#include <string>

namespace husk {

// Now, UTC, RFC 3339 with nanoseconds: "2026-11-23T13:07:59.404044429Z".
std::string now_rfc3339();
// T (since the epoch), the same way.
std::string rfc3339(const timespec& t);
// "YYYY-MM-DD[THH:MM:SS[.frac]][Z|+hh:mm|-hh:mm]" as nanoseconds since the
// epoch (no zone: local time); nullopt when it is not one.
std::optional<int64_t> parse_rfc3339_nanos(std::string_view text);

}  // namespace husk
