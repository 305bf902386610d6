// husk-monitor: what stays on the host for each container husk runs
// detached or with a terminal (see src/engine/launcher.hpp and relay.hpp).
// The launcher that created and started the container execs it with the
// container's descriptors; it relays until the container ends, then execs
// husk in place to write the end into the store. Small on purpose: it
// links the relay, the log writer and base only.
#include <sys/prctl.h>

#include <cstdio>
#include <string_view>

#include "base/file.hpp"
#include "monitor/relay.hpp"

using namespace husk::monitor;
using husk::program_beside_us;

int main(int argc, char** argv) {
  auto h = argc > 1 && std::string_view(argv[1]) == kRelayArg ? receive_handoff(argc - 2, argv + 2) : std::nullopt;
  if (!h) {
    std::fprintf(stderr, "husk-monitor: started by husk only, to relay a container it runs\n");
    return 125;
  }
  // A container that sees host processes (--pid=host) must not reach our
  // binary or memory through /proc/PID: only CAP_SYS_PTRACE over the host's
  // user namespace may.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  HealthProbe probe = health_probe(h->root, h->run_root, h->id, h->health_interval_ms);
  int code = relay_container(h->io, h->log.get(), h->listener.get(), h->clients, h->pid, h->pidfd.get(),
                             h->log_rotation, probe);
  // The end is written by husk, which has the store's code: exec'd in
  // place, the same process, so the recorder lock stays held.
  RelayHandoff end{.root = h->root, .run_root = h->run_root, .id = h->id, .recorder = h->recorder.get(), .code = code};
  add_handoff_clients(end, h->clients);
  exec_handoff(program_beside_us("husk"), kRecordEndArg, end);
  send_exit_code(h->clients, code);
  return 1;
}

