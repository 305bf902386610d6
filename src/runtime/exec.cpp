#include "runtime/exec.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "base/file.hpp"
#include "base/fault.hpp"
#include "cgroups/manager.hpp"
#include "linux/capabilities.hpp"
#include "linux/lsm.hpp"
#include "linux/console.hpp"
#include "linux/namespaces.hpp"
#include "linux/proc.hpp"
#include "linux/process.hpp"
#include "linux/seccomp.hpp"
#include "linux/self_exe.hpp"
#include "linux/sync.hpp"
#include "runtime/container.hpp"
#include "runtime/container_init.hpp"
#include "runtime/foreground.hpp"
#include "runtime/live.hpp"
#include "runtime/state_store.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace husk::runtime {
namespace {

struct Joins {
  int parent_flags = 0;  // pid, time: for our children
  int child_flags = 0;   // the rest, all at once through the pidfd
};

Joins namespaces_to_join(int pid) {
  Joins j;
  for (auto t : spec::kAllNamespaceTypes) {
    auto theirs = linux::namespace_inode(pid, t);
    auto ours = linux::namespace_inode(::getpid(), t);
    if (!theirs || (ours && *ours == *theirs)) continue;
    int flag = linux::clone_flag(t);
    if (t == spec::NamespaceType::pid || t == spec::NamespaceType::time)
      j.parent_flags |= flag;
    else
      j.child_flags |= flag;
  }
  return j;
}

struct ExecChild {
  const spec::Process* process;
  const linux::SyncChannel* channel;
  int pidfd;
  int child_flags;
  bool new_user;  // the container has its own user namespace (joined already, or in child_flags)
  int console_fd;
  int preserve_fds;
  linux::RuntimeBinary self;
  const linux::SeccompProgram* seccomp;  // the container's filter, or none
  linux::LsmPlan lsm;
  std::vector<int> parent_only_fds;     // closed first: the parent's channel end, the pty peer
  std::vector<std::string> v1_cgroups;  // joined by the child itself (Manager::join_v1_self)
};

Result<std::string> exec_setup(const ExecChild& c) {
  HUSK_TRY(c.channel->expect(linux::SyncMsg::go));
  // Still in the host's mount and user namespaces: the v1 files are ours.
  HUSK_TRY(cgroups::Manager::join_v1_self(c.v1_cgroups));
  if (c.child_flags && ::setns(c.pidfd, c.child_flags) < 0)
    return fail_errno("join the container's namespaces");
  if (c.new_user) {
    if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
      return fail_errno("become root in user namespace");
  }
  if (::setsid() < 0) return fail_errno("setsid");
  const auto& p = *c.process;
  if (p.terminal) {
    auto pty = HUSK_TRY_CTX(linux::open_pty(p.console_size), "console");
    HUSK_TRY_CTX(linux::send_fd(c.console_fd, pty.master.get(), pty.slave_path), "console");
    HUSK_TRY_CTX(linux::become_terminal_user(pty.slave.get()), "console");
  }
  HUSK_TRY(linux::set_rlimits(p.rlimits));
  if (p.user.umask) ::umask(*p.user.umask);
  if (::chdir(p.cwd.c_str()) < 0) return fail_errno("chdir to cwd \"" + p.cwd + "\"");
  HUSK_TRY(linux::verify_cwd_inside_root());
  std::string path = HUSK_TRY(linux::find_executable(p.args[0], p.env));
  HUSK_TRY(linux::refuse_runtime_binary(path, c.self));
  HUSK_TRY(linux::apply_exec_labels(c.lsm));
  HUSK_TRY(confine(p, c.seccomp, c.preserve_fds, *c.channel));
  return path;
}

[[noreturn]] void exec_child(const ExecChild& c) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  for (int fd : c.parent_only_fds) ::close(fd);
  auto path = exec_setup(c);
  if (!path) {
    (void)c.channel->send_error(path.error());
    ::_exit(1);
  }
  // It survives execve: a detached process must outlive this runtime.
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  linux::reset_signals();
  int err = linux::exec_process(*path, *c.process);
  auto kind = err == ENOENT ? ErrorKind::command_not_found : ErrorKind::command_not_executable;
  (void)c.channel->send_error(Error(err, "exec: \"" + c.process->args[0] + "\": " + std::strerror(err), false, kind));
  ::_exit(linux::exit_code_for_exec_error(err));
}

}  // namespace

Result<spec::Process> container_process(const Context& ctx, const std::string& id) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto text = HUSK_TRY(dir.load_config_text());
  auto config = HUSK_TRY(spec::parse_config(text));
  if (!config.process) return fail_code(EINVAL, "container " + id + " has no process");
  return *config.process;
}

Result<int> exec_in_container(const Context& ctx, const ExecOptions& opts) {
  // The exec'd process is in the container's pid namespace, where its
  // processes may see it, until it execs: it runs from an unwritable binary.
  HUSK_TRY(linux::ensure_protected_self_exe());
  HUSK_TRY(spec::validate_process(opts.process));
  if (opts.process.terminal && opts.console_socket.empty() && opts.detach)
    return fail_code(EINVAL, "cannot allocate a tty without --console-socket when the runtime detaches");
  std::string pid_file = HUSK_TRY(absolute_from_cwd(opts.pid_file));

  spec::State state;
  std::optional<spec::Seccomp> seccomp_spec;
  {
    StateStore store(ctx.root);
    auto dir = HUSK_TRY(store.open(opts.id));
    state = HUSK_TRY(dir.load_state());
    // An exec'd process gets the container's filter, as with runc.
    seccomp_spec = HUSK_TRY(spec::parse_config(HUSK_TRY(dir.load_config_text()))).linux.seccomp;
  }
  std::optional<linux::SeccompProgram> seccomp;
  if (seccomp_spec) seccomp = HUSK_TRY_CTX(linux::compile_seccomp_cached(*seccomp_spec, ctx.seccomp_cache()), "exec");
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, state.pid, 0)));
  if (!pidfd || !linux::process_alive(state.pid, state.pid_start_time))
    return fail_code(ESRCH, "cannot exec in a stopped container: container not running");
  std::optional<cgroups::Manager> cgroup;  // none: a rootless container without one
  if (!state.cgroup_path.empty()) cgroup.emplace(HUSK_TRY(cgroup_manager_for(state)));
  Joins joins = namespaces_to_join(state.pid);
  // The other half of the init's protection (see container.cpp): before
  // `start` an init may still run the runtime's binary from a writable file,
  // and a process that could ptrace it must not join it then.
  if (!(joins.child_flags & CLONE_NEWUSER) && live_status(state) == spec::Status::created &&
      linux::may_hold(opts.process, CAP_SYS_PTRACE)) {
    auto init_exe = HUSK_TRY(linux::exe_protection(("/proc/" + std::to_string(state.pid) + "/exe").c_str()));
    if (init_exe == linux::SelfExe::writable)
      return fail_code(EPERM, "exec: container " + opts.id +
                                  " is not started yet and its init still runs the runtime's binary: a "
                                  "process that may hold CAP_SYS_PTRACE cannot join it before start "
                                  "(CVE-2019-5736)");
  }

  UniqueFd console, console_peer;
  if (opts.process.terminal) {
    auto ch = HUSK_TRY(linux::open_console_channel(opts.console_socket));
    console = std::move(ch.to_process);
    console_peer = std::move(ch.to_runtime);
  }
  std::optional<SignalForwarder> signals;
  if (!opts.detach) signals.emplace(HUSK_TRY(SignalForwarder::install()));
  auto [parent_ch, child_ch] = HUSK_TRY(linux::SyncChannel::make_pair());

  ExecChild child{&opts.process,
                  &child_ch,
                  pidfd.get(),
                  joins.child_flags,
                  (joins.child_flags & CLONE_NEWUSER) != 0,
                  console.get(),
                  opts.preserve_fds,
                  HUSK_TRY(linux::identify_runtime_binary()),
                  seccomp ? &*seccomp : nullptr,
                  linux::plan_lsm(opts.process.apparmor_profile, opts.process.selinux_label, ""),
                  {parent_ch.fd(), console_peer.get()},
                  cgroup ? cgroup->v1_dirs() : std::vector<std::string>{}};
  if (ctx.log && ctx.log->fd() >= 0) child.parent_only_fds.push_back(ctx.log->fd());
  if (ctx.log)
    for (auto& m : child.lsm.unapplied) ctx.log->warn(opts.id + ": exec: " + m);
  std::optional<linux::ChildNamespaces> ours;
  UniqueFd cgroup2;
  linux::Cloned cloned;
  if (child.new_user && ::geteuid() != 0) {
    // Rootless: what the container's user namespace owns (its pid namespace
    // too) can be joined only from inside it, which we must not enter.
    child.child_flags &= ~CLONE_NEWUSER;
    cloned = HUSK_TRY_CTX(linux::clone_through_middle(
                              [&]() -> Result<void> {
                                if (::setns(pidfd.get(), CLONE_NEWUSER | joins.parent_flags) < 0)
                                  return fail_errno("join the container's user and pid namespaces");
                                return {};
                              },
                              0, [&] { exec_child(child); }),
                          "clone exec process");
  } else {
    if (joins.parent_flags) {
      ours.emplace(HUSK_TRY(linux::ChildNamespaces::remember()));
      if (::setns(pidfd.get(), joins.parent_flags) < 0)
        return fail_errno("join the container's pid namespace");
    }
    if (cgroup) cgroup2 = HUSK_TRY(cgroup->open_unified());
    cloned = HUSK_TRY_CTX(linux::clone_child(0, cgroup2 ? cgroup2.get() : -1), "clone exec process");
    if (cloned.pid == 0) exec_child(child);
  }
  pid_t pid = cloned.pid;
  cgroup2.reset();
  ours.reset();  // our own pid and time namespaces again, before anything else
  child_ch.close();
  console.reset();

  auto abort_child = [&](Error e) -> Result<int> {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return fail(std::move(e));
  };
  if (cgroup && !cloned.in_cgroup2)
    if (auto r = cgroup->add_process(pid, cgroups::Manager::Hierarchies::unified); !r)
      return abort_child(r.error());
  fault_point(Fault::runtime_exec_joined);
  if (auto r = parent_ch.send(linux::SyncMsg::go); !r) return abort_child(r.error());
  UniqueFd master;
  if (console_peer) {
    auto m = linux::receive_fd(console_peer.get());
    if (!m) {
      // The child failed before it had a terminal: its error says why.
      if (auto msg = parent_ch.receive(); msg && msg->type == linux::SyncMsg::error)
        return abort_child(Error(msg->value, msg->text, true, msg->kind));
      return abort_child(m.error().context("receive pty"));
    }
    master = std::move(*m);
  }
  if (seccomp && seccomp->listener()) {
    state.status = spec::Status::running;
    auto json = spec::container_process_state_json(state, pid, seccomp_spec->listener_metadata);
    if (auto r = linux::forward_seccomp_listener(parent_ch, seccomp_spec->listener_path, json); !r)
      return abort_child(r.error());
  }
  // Close-on-exec: the channel reaches end-of-stream exactly when exec succeeded.
  auto msg = parent_ch.receive();
  if (msg && msg->type == linux::SyncMsg::error) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return fail(msg->error());
  }
  if (!pid_file.empty()) {
    if (auto r = write_file_atomic(pid_file, std::to_string(pid), 0644); !r)
      return abort_child(r.error().context("write pid file"));
  }
  if (opts.detach) return 0;
  return supervise(pid, master.get(), *signals);
}

}  // namespace husk::runtime
