// seccomp: a spec::Seccomp compiled to BPF by libseccomp in the runtime,
// before the container's process is cloned, and loaded by that process
// with one seccomp(2) call just before it becomes the user's program.
// Compiling once in the parent keeps libseccomp's allocations and kernel
// probes out of the child, and both init and exec use the same code.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "linux/sync.hpp"
#include "spec/seccomp.hpp"

namespace husk::linux {

struct SeccompProgram {
  std::vector<sock_filter> code;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*, NEW_LISTENER when a rule notifies
  bool listener() const;
};

// Rules as runc builds them: an action equal to the default one is left
// out, a name this libseccomp does not know is skipped, all args of a rule
// must match (AND), unless two test the same argument: then each is a rule
// of its own (OR). An absent flags list means SECCOMP_FILTER_FLAG_SPEC_ALLOW.
Result<SeccompProgram> compile_seccomp(const spec::Seccomp& s);

// compile_seccomp, remembered in DIR (the runtime's state root's cache, on
// tmpfs: gone with a reboot). libseccomp takes milliseconds per
// architecture for a docker-sized profile; a remembered program is one
// small read. Each file is named by a hash of its key: everything that
// decides the program (the profile, libseccomp's version, the kernel) in
// full, kept in the file and compared byte for byte, so a collision is a
// miss, never another filter. A cache that cannot be used costs a compile.
Result<SeccompProgram> compile_seccomp_cached(const spec::Seccomp& s, const std::string& dir);
// That key (for tests).
std::string seccomp_cache_key(const spec::Seccomp& s);

// In the process about to exec. Needs no_new_privs or CAP_SYS_ADMIN.
// Returns the listener's fd (close-on-exec) when the filter has one.
Result<UniqueFd> load_seccomp(const SeccompProgram& p);

// The child's side, at its chosen moment: loads P and, when it has a
// listener, passes the listener's fd to the runtime over CHANNEL
// (SyncMsg::seccomp_listener, then the fd) and closes its own copy.
Result<void> apply_seccomp(const SeccompProgram& p, const SyncChannel& channel);
// The runtime's side: waits for that fd and hands it to PATH with
// STATE_JSON (spec::container_process_state_json).
Result<void> forward_seccomp_listener(const SyncChannel& channel, const std::string& path,
                                      const std::string& state_json);

// The flags this kernel takes, in the spec's names (for `features`).
std::vector<std::string> supported_seccomp_flags();

// The runtime-spec's hand-over to a seccomp agent: one connection to PATH
// (AF_UNIX, SOCK_STREAM), the container process state JSON with FD in the
// first message's SCM_RIGHTS, then the connection is closed.
Result<void> send_to_seccomp_listener(const std::string& path, int fd, const std::string& state_json);

}  // namespace husk::linux
