// Timestamps as the OCI state and the logs write them.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>
#include <string>

namespace husk {

// Nanoseconds since the epoch (CLOCK_REALTIME).
int64_t now_nanos();
// Milliseconds of CLOCK_MONOTONIC: for timeouts and intervals.
int64_t monotonic_ms();
// Now, UTC, RFC 3339 with nanoseconds: "2026-11-23T13:07:59.404044429Z".
std::string now_rfc3339();
// T (since the epoch), the same way.
std::string rfc3339(const timespec& t);
// "YYYY-MM-DD[THH:MM:SS[.frac]][Z|+hh:mm|-hh:mm]" as nanoseconds since the
// epoch (no zone: local time); nullopt when it is not one.
std::optional<int64_t> parse_rfc3339_nanos(std::string_view text);
// Go's time.ParseDuration: "1h30m", "2.5s", "100ms", "-5s", "0"; units ns,
// us (µs), ms, s, m, h. Nanoseconds; nullopt when it is not one.
std::optional<int64_t> parse_go_duration(std::string_view text);
// NANOS as Go's Duration.String prints it: "30s", "1m30s", "1h0m0s", "500ms", "1.5s", "0s".
std::string format_go_duration(int64_t nanos);

}  // namespace husk
