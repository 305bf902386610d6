// The container process's last steps: its executable, limits, identity,
// capabilities and no_new_privs, then execve.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "spec/config.hpp"

namespace husk::linux {

// The file identity of the runtime's own binary, taken before the container
// can touch anything: the container must never be able to execute it
// (CVE-2019-5736 used `#!/proc/self/exe` to get a writable handle on it).
struct RuntimeBinary {
  dev_t dev = 0;
  ino_t ino = 0;
};
Result<RuntimeBinary> identify_runtime_binary();

// Resolves ARG0 through PATH from ENV, as execvp would. The error message is
// the one podman and containerd recognise ("executable file not found").
Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env);
// ENV, with HOME added when it has none (runc's rule): UID's home in
// PASSWD_TEXT (the container's /etc/passwd, name:x:uid:gid:gecos:home:shell),
// "/" when UID has no entry there.
std::vector<std::string> env_with_home(std::vector<std::string> env, uid_t uid, const std::string& passwd_text);
// The same, reading /etc/passwd where we stand (inside the container's root).
std::vector<std::string> env_with_home(std::vector<std::string> env, uid_t uid);
// Refuses PATH when it, or an interpreter it names with "#!", is the runtime.
Result<void> refuse_runtime_binary(const std::string& path, const RuntimeBinary& self);

// Creates CWD (absolute, inside the root we stand in) when it is missing,
// as runc and crun do; each directory made is mode 0755 and owned by
// UID:GID, the process's, so it may work there.
Result<void> make_missing_cwd(const std::string& cwd, uid_t uid, gid_t gid);
// Hands stdin/stdout/stderr to UID (keeping their group) as runc does, so a
// process that is not root may reopen /proc/self/fd/0-2. /dev/null and what
// UID owns already are left alone; ids the kernel cannot map (EINVAL) or
// fds we may not change (EPERM) too.
Result<void> give_stdio_to(uid_t uid);

// After chdir: a cwd reached through a leaked host fd (CVE-2024-21626) is
// outside our root, and the kernel reports it as unreachable.
Result<void> verify_cwd_inside_root();
// setgroups(2) is denied in a user namespace whose gid map a rootless
// parent wrote ("deny" in /proc/self/setgroups).
bool setgroups_allowed();

Result<void> set_rlimits(const std::vector<spec::Rlimit>& rlimits);
// Drops the bounding set, switches uid/gid/groups keeping capabilities, then
// sets the capability sets and no_new_privs: the order runc uses.
Result<void> apply_identity(const spec::Process& p, bool may_setgroups);

// Closes every fd from FIRST up except those in KEEP, and marks the kept
// ones close-on-exec: what a container process holds of ours (the caller's
// fds, the cgroup directory, the console socket) is gone before it waits or
// runs anything of the container's. A few close_range calls, no /proc walk.
Result<void> close_fds_from(int first, std::vector<int> keep);
// Marks every fd from FIRST up close-on-exec (whatever the process execs,
// a hook or the user's command, inherits none of them).
void cloexec_fds_from(int first);

// Default dispositions and an empty mask: what a new process expects, whatever
// the runtime had set for itself (it ignores SIGPIPE, blocks what it forwards).
void reset_signals();

// execve with the process's args and env. Returns only on failure, with errno.
// What execve gets: the executable found and the environment.
struct Executable {
  std::string path;
  std::vector<std::string> env;
};
int exec_process(const Executable& e, const spec::Process& p);

// Docker's convention for a command that cannot be run: 127 not found, 126 not executable.
int exit_code_for_exec_error(int err);

}  // namespace husk::linux
