// The runtime's own executable, as a container could reach it (CVE-2019-5736).
//
// A process that enters a container (the init before it execs, an exec'd
// process) runs the runtime's binary until its execve. A container process
// that gets a handle on that binary (through /proc/PID/exe with ptrace rights
// over it, `#!/proc/self/exe`, or a binfmt_misc handler whose interpreter is
// /proc/self/exe) could reopen it for writing once it stops running, and
// replace the host's runtime. The defence: those processes run from a view of
// the binary that nobody can write.
#pragma once

#include "base/error.hpp"

namespace husk::linux {

// How this process's executable is protected from writes, if at all.
enum class SelfExe {
  writable,      // an ordinary file on a writable mount: the host's binary
  read_only,     // on a read-only mount (ours, or the host installed it so)
  sealed_memfd,  // a private copy sealed against writes
};
// EXE_LINK: /proc/self/exe, or /proc/PID/exe of a process we may trace.
Result<SelfExe> exe_protection(const char* exe_link);
inline Result<SelfExe> self_exe_protection() { return exe_protection("/proc/self/exe"); }

// Re-executes this process, with the same arguments and environment, from a
// read-only detached bind mount of its binary (no copy; needs CAP_SYS_ADMIN
// over our mount namespace), or else from a sealed memfd copy (rootless).
// Returns only on failure. Call it before doing anything a second run would
// repeat: the new image starts from main().
Result<void> reexec_protected();

// What a command calls first: re-executes unless already protected.
Result<void> ensure_protected_self_exe();

}  // namespace husk::linux
