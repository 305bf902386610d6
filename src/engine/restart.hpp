// docker's restart policies (--restart no|on-failure[:N]|always|unless-stopped):
// what a container's end leads to. There is no daemon: the container's
// monitor, once it has recorded an end, asks should_restart and, after
// restart_delay_ms, starts the container again itself (engine/launcher).
// A container the user stopped or killed is not restarted (docker's
// "manually stopped"); `husk start --restart-policies` (what a boot service
// calls) brings back the always and unless-stopped ones after a reboot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace husk::engine {

struct RestartPolicy {
  enum class Kind { no, on_failure, always, unless_stopped };
  Kind kind = Kind::no;
  int max_retries = 0;  // on-failure:N (0: no limit)
};

// TEXT as --restart takes it ("" is "no"); docker's messages for bad values.
Result<RestartPolicy> parse_restart_policy(std::string_view text);

// Whether a container under P that ended with CODE, after RESTARTS
// restarts already, starts again; never when STOPPED_BY_USER.
bool should_restart(const RestartPolicy& p, int code, int restarts, bool stopped_by_user);

// The wait before the next restart: docker's back-off, 100 ms doubling
// each time up to a minute, back to 100 ms after a run of 10 s or more.
// PREVIOUS_MS: the last wait (0: none yet); RAN_MS: how long it ran.
int64_t restart_delay_ms(int64_t previous_ms, int64_t ran_ms);

// While the monitor of the container in CONTAINER_DIR waits out its
// back-off it holds the lock of containers/ID/restart.lock (the kernel
// drops it if that process dies): ps and inspect then say "restarting", as
// docker's do between a run and the next.
Result<UniqueFd> hold_restart_wait(const std::string& container_dir);
bool waiting_to_restart(const std::string& container_dir);

}  // namespace husk::engine
