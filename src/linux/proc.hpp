// What /proc says about a process: liveness across pid reuse, its children.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::linux {

// Field 22 of /proc/PID/stat: the start time in clock ticks since boot.
Result<unsigned long long> process_start_time(int pid);
// True when PID exists, is not a zombie, and started at START (0: any).
bool process_alive(int pid, unsigned long long start_time);

}  // namespace husk::linux
