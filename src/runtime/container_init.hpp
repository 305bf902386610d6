// The container's first process, from clone() to execve: joins namespaces,
// builds the rootfs, takes its identity, waits for `start`, then becomes the
// user's command. Every failure goes back to the runtime as {errno, message}.
#pragma once

#include <string>
#include <vector>

#include "linux/kernel.hpp"
#include "linux/lsm.hpp"
#include "linux/namespaces.hpp"
#include "linux/process.hpp"
#include "linux/rootfs.hpp"
#include "linux/seccomp.hpp"
#include "linux/sync.hpp"
#include "spec/config.hpp"

namespace husk::runtime {

struct InitPlan {
  std::string id;
  const spec::Config* config = nullptr;
  const linux::NamespacePlan* namespaces = nullptr;
  linux::RootfsSpec rootfs;
  const linux::SyncChannel* channel = nullptr;
  int console_fd = -1;   // where the pty master goes (console socket), -1 for none
  int start_fd = -1;     // read end of the start pipe: one byte means "exec now"
  int start_write_fd = -1;  // the runtime's end, kept: `start` reopens it through /proc/PID/fd
  int preserve_fds = 0;     // fds 3 .. 3+N-1 pass into the container (LISTEN_FDS's first)
  // The runtime's own descriptors the init must not keep: the state lock
  // (held by the runtime only), the parent's channel end, the pty peer.
  std::vector<int> parent_only_fds;
  linux::RuntimeBinary self;
  const linux::SeccompProgram* seccomp = nullptr;  // compiled by the runtime; none: no filter
  linux::LsmPlan lsm;  // the AppArmor profile and SELinux label this host applies
  bool new_session_keyring = true;  // runc's default; --no-new-keyring turns it off
  // The v1 cgroup directories we join ourselves (Manager::join_v1_self);
  // empty in a new user namespace, where the runtime moves us.
  std::vector<std::string> self_attach_v1;
  // The runtime is not root (rootless): it can write our id maps only while
  // it may open our /proc files, so we stay dumpable until `go`.
  bool unprivileged_parent = false;
  // Wait for the runtime's "go" before anything else: it writes our id maps
  // first (a new user namespace), or must still open our /proc files.
  bool await_go = true;
};

// K: every mount, join and pivot_root goes through it (linux/kernel.hpp).
[[noreturn]] void container_init(linux::Kernel& k, const InitPlan& plan);

// The last steps of a container process (init or exec'd) before it reports
// ready: closes every fd from 3 + PRESERVE_FDS but CHANNEL's and KEEP_FDS
// (its own sync fds, close-on-exec: nothing of the caller's or ours is held
// while it waits, nor crosses exec), takes PROC's identity and loads SECCOMP
// (if any) at the point runc does; a listener's fd goes to the runtime over
// CHANNEL.
Result<void> confine(const spec::Process& proc, const linux::SeccompProgram* seccomp, int preserve_fds,
                     const linux::SyncChannel& channel, std::vector<int> keep_fds = {});

// The state JSON a hook inside the container reads (status "created"/"running").
std::string hook_state_json(const spec::Config& c, const std::string& id, int pid, const std::string& bundle,
                            const std::string& status);

}  // namespace husk::runtime
