// The container monitor: the one process that stays on the host for each
// container not run in a husk's foreground (run -d, run -it, start). Forked
// twice (it outlives the husk that started it and has no terminal), it
// creates and starts the container through the runtime library, so the
// container's init is its child and its exit code its to record. It holds
// the other ends of the container's stdio (pipes, or the pty master),
// writes the output to the json-file log and serves attach clients on
// containers/ID/attach.sock.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "engine/engine.hpp"

namespace husk::engine {

struct MonitorOptions {
  // Start the container only once a client has attached (run -it, start -a):
  // none of its first output is lost.
  bool wait_attach = false;
};

// A monitor on its way: what it reports while it creates and starts the
// container.
class MonitorLaunch {
 public:
  explicit MonitorLaunch(UniqueFd reports) : reports_(std::move(reports)) {}
  // Until the monitor says WHAT ("ready": the attach socket listens;
  // "started": the container runs). 0 then; or the container could not
  // start: its error printed, its exit code (125, 126, 127).
  Result<int> wait_for(std::string_view what);

 private:
  UniqueFd reports_;
  std::string buffered_;
};

Result<MonitorLaunch> spawn_monitor(const Engine& eng, const ContainerRecord& rec, const MonitorOptions& o);

// Once the container runs, the monitor execs husk-monitor (src/monitor),
// which relays until the container ends and then execs husk in place to
// write the end: husk's main hands that invocation to
// monitor_record_end_main first thing.
bool is_monitor_record_end(int argc, char** argv);
int monitor_record_end_main(int argc, char** argv);

// containers/ID/monitor.pid: the monitor's pid while it runs.
std::string monitor_pid_path(const std::string& container_dir);

}  // namespace husk::engine
