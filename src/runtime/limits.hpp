// A container's resource limits after create: `update` changes them,
// `events` reports what the container uses and when the OOM killer struck.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "runtime/context.hpp"
#include "spec/config.hpp"

namespace husk::runtime {

// linux.resources as the cgroup gets it: the config's device rules (when it
// has any) followed by the devices every container may use and the ones in
// linux.devices that no rule of the config names.
spec::Resources container_resources(const spec::Config& config);

// The text of CONFIG with RESOURCES as its linux.resources: the one way
// `update` rewrites a stored config.json, the runtime's copy of it (the
// next update and `events` start from it) and the engine's bundle (the
// next start runs with it).
std::string config_with_resources(spec::Config config, spec::Resources resources);

// Applies UPDATE on top of the container's current limits and records the
// result, so the next update and `events` start from it.
Result<void> update_container(const Context& ctx, const std::string& id, const spec::Resources& update);

// One runc-style stats event: {"type":"stats","id":ID,"data":{...}}.
Result<std::string> container_stats_event(const Context& ctx, const std::string& id);

// How many times the OOM killer killed in container ID's cgroup; also once
// its init has exited, until `delete` (docker's State.OOMKilled).
Result<uint64_t> container_oom_kills(const Context& ctx, const std::string& id);

// Streams events as JSON lines to EMIT: stats every INTERVAL, and
// {"type":"oom","id":ID} as soon as the OOM killer kills in the container.
// Returns when the container stops.
Result<void> watch_events(const Context& ctx, const std::string& id, std::chrono::milliseconds interval,
                          const std::function<void(const std::string&)>& emit);

}  // namespace husk::runtime
