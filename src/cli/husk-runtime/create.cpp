#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "base/strings.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

namespace {
// systemd's socket activation, as runc reads it: LISTEN_FDS counts the fds
// from 3 meant for the process LISTEN_PID names; for another process, none.
int listen_fds_for_us() {
  const char* fds = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (!fds || !pid) return 0;
  auto n = parse_u64(fds);
  auto p = parse_u64(pid);
  if (!n || !p || *p != static_cast<uint64_t>(::getpid()) || *n > 65536) return 0;
  return static_cast<int>(*n);
}
}  // namespace

void add_create_flags(CLI::App& cmd, runtime::CreateOptions& o) {
  o.listen_fds = listen_fds_for_us();
  cmd.add_option("-b,--bundle", o.bundle, "path to the bundle directory (default: current directory)");
  cmd.add_option("--pid-file", o.pid_file, "write the container's init pid to this file");
  cmd.add_option("--console-socket", o.console_socket,
                 "unix socket that receives the pty master when process.terminal is true");
  cmd.add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (from 3) into the container")
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag("--no-pivot", o.no_pivot,
               "use chroot instead of pivot_root (the rootfs must not be on a ramdisk)");
  cmd.add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
  cmd.add_option("id", o.id, "container id")->required();
}

void add_create(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<runtime::CreateOptions>();
  auto* cmd = app.add_subcommand("create", "create a container, stopped before its process runs");
  add_create_flags(*cmd, *o);
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      HUSK_TRY(runtime::create_container(ctx, *o));
      return 0;
    };
  });
}

}  // namespace husk::cli
