// Starting a container that outlives the husk that asked for it (run -d,
// run -it, start): the launcher. husk forks it twice (it outlives us and has
// no terminal); it creates and starts the container through the runtime
// library, so the container's init is its child, then execs husk-monitor
// (src/monitor) in place, handing it the other ends of the container's
// stdio (pipes, or the pty master), the log and the attach socket. The same
// process, so one pid (containers/ID/monitor.pid) from launch to the end.
// husk-monitor relays until the container ends, then execs husk in place to
// record the end (record_end_main). With a client attached from the start
// (a foreground run, start -a) the launcher relays and records the end
// itself while one stays, and execs husk-monitor only if the last leaves
// before the container ends.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "engine/engine.hpp"

namespace husk::engine {

struct LaunchOptions {
  // Start the container only once a client has attached (run -it, start -a):
  // none of its first output is lost.
  bool wait_attach = false;
};

// A launcher on its way: what it reports while it creates and starts the
// container.
class Launch {
 public:
  explicit Launch(UniqueFd reports) : reports_(std::move(reports)) {}
  // Until the launcher says WHAT ("ready": the attach socket listens;
  // "started": the container runs). Or the container could not start: its
  // error, of the kind that gives its exit code (125, 126, 127).
  Result<void> wait_for(std::string_view what);

 private:
  UniqueFd reports_;
  std::string buffered_;
};

Result<Launch> spawn_launcher(const Engine& eng, const ContainerRecord& rec, const LaunchOptions& o);

// husk-monitor execs husk in place to write the container's end: husk's
// main hands that invocation to record_end_main first thing.
bool is_record_end(int argc, char** argv);
int record_end_main(int argc, char** argv);

// containers/ID/monitor.pid: the launcher's, then husk-monitor's, pid while it runs.
std::string monitor_pid_path(const std::string& container_dir);

}  // namespace husk::engine
