// docker's healthchecks: a test command run in the container every
// interval, its results kept (docker's State.Health: a status, a streak of
// failures, the last five results) in containers/ID/health.json. There is
// no daemon: the container's relay (monitor/relay.hpp) starts
// `husk healthcheck run ID` every interval, which runs one probe through
// the engine's exec and records it here; `husk healthcheck run` by hand
// does the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "image/oci.hpp"

namespace husk::engine {

// docker's defaults for a zero Interval, Timeout, Retries.
inline constexpr int64_t kDefaultHealthInterval = 30LL * 1000 * 1000 * 1000;
inline constexpr int64_t kDefaultHealthTimeout = 30LL * 1000 * 1000 * 1000;
inline constexpr int kDefaultHealthRetries = 3;
// The output a result keeps (its first bytes), and the results kept.
inline constexpr size_t kHealthOutputMax = 4096;
inline constexpr size_t kHealthLogMax = 5;

// The container's healthcheck: IMAGE's (its HEALTHCHECK) with the --health-*
// flags of F over it, as docker merges them; --no-healthcheck gives
// {Test: ["NONE"]}. None when neither has one. Bad flag values get docker's
// messages.
Result<std::optional<image::HealthConfig>> container_healthcheck(
    const RunFlags& f, const std::optional<image::HealthConfig>& image);
// Whether H has a test to run (not absent, [] or NONE).
bool health_active(const std::optional<image::HealthConfig>& h);
// How often the test runs, in milliseconds (docker's default for 0).
int64_t health_interval_ms(const image::HealthConfig& h);
// The test as a command: CMD's arguments, or CMD-SHELL's under /bin/sh -c.
Result<std::vector<std::string>> health_command(const image::HealthConfig& h);

struct HealthResult {
  std::string start, end;  // RFC 3339
  int exit_code = 0;       // 0: healthy; -1: it timed out or could not run
  std::string output;      // its first kHealthOutputMax bytes of stdout and stderr
  bool operator==(const HealthResult&) const = default;
};

struct HealthState {
  std::string status = "starting";  // starting, healthy, unhealthy
  int failing_streak = 0;
  std::vector<HealthResult> log;  // the last kHealthLogMax, oldest first
  bool operator==(const HealthState&) const = default;
};

// docker's State.Health, and back.
nlohmann::ordered_json to_json(const HealthState& s);
Result<HealthState> health_state_from_json(const nlohmann::ordered_json& j);

// S after result R of a probe that began PROBE_START_NS (since the epoch) in
// a container started at STARTED_NS, by docker's rules: a pass makes it
// healthy; failures count against RETRIES, but not while it is starting
// within its start period.
HealthState apply_health_result(HealthState s, HealthResult r, const image::HealthConfig& h,
                                int64_t started_ns, int64_t probe_start_ns);

// containers/ID/health.json of the container in DIR: none when it has never
// had a healthcheck.
Result<std::optional<HealthState>> read_health(const std::string& container_dir);
// The container in DIR starts (status starting, no failures; its results
// stay), or has ended (unhealthy, as docker says once its checks stop).
Result<void> health_started(const std::string& container_dir);
Result<void> health_stopped(const std::string& container_dir);
// One probe of NAME_OR_ID's healthcheck, recorded (and a health_status
// event when the status changes): the result. EINVAL when it does not run
// or has no healthcheck.
Result<HealthResult> run_healthcheck(const Engine& eng, const std::string& name_or_id);

}  // namespace husk::engine
