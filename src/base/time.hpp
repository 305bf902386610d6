// Timestamps as the OCI state and the logs write them.
#pragma once

#include <ctime>
#include <string>

namespace husk {

// Now, UTC, RFC 3339 with nanoseconds: "2026-11-23T13:07:59.404044429Z".
std::string now_rfc3339();
// T (since the epoch), the same way.
std::string rfc3339(const timespec& t);

}  // namespace husk
