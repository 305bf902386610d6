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
#include <map>
#include <optional>

#include "base/fault.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "cgroups/manager.hpp"
#include "linux/capabilities.hpp"
#include "linux/console.hpp"
#include "linux/lsm.hpp"
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

Result<linux::Executable> exec_setup(linux::Kernel& k, const ExecChild& c) {
  HUSK_TRY(c.channel->expect(linux::SyncMsg::go));
  // Still in the host's mount and user namespaces: the v1 files are ours.
  HUSK_TRY(cgroups::Manager::join_v1_self(c.v1_cgroups));
  HUSK_TRY(linux::join_through_pidfd(k, c.pidfd, c.child_flags, c.new_user));
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
  // Read while still root: the container's passwd names the user's home.
  auto env = linux::env_with_home(p.env, p.user.uid);
  HUSK_TRY(linux::apply_exec_labels(c.lsm));
  HUSK_TRY(confine(p, c.seccomp, c.preserve_fds, *c.channel));
  return linux::Executable{std::move(path), std::move(env)};
}

[[noreturn]] void exec_child(linux::Kernel& k, const ExecChild& c) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  for (int fd : c.parent_only_fds) ::close(fd);
  auto path = exec_setup(k, c);
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

namespace {

// The container an exec joins, read under its lock: its state, the filter
// its processes get, a pidfd that pins its init, its cgroup (none: a
// rootless container without one) and the namespaces that differ from ours.
struct ExecTarget {
  spec::State state;
  std::optional<spec::Seccomp> seccomp_spec;
  std::optional<linux::SeccompProgram> seccomp;
  UniqueFd pidfd;
  std::optional<cgroups::Manager> cgroup;
  // exec --cgroup: the sub-cgroups the process goes to instead (runc's).
  std::optional<cgroups::Manager::SubDirs> sub_cgroups;
  linux::PidfdJoins joins;
};

// exec --cgroup's values ([CONTROLLER[,CONTROLLER...]:]PATH) by controller,
// "" for every one not named, as runc reads them.
std::map<std::string, std::string> sub_cgroup_paths(const std::vector<std::string>& values) {
  std::map<std::string, std::string> out;
  for (auto& v : values) {
    auto colon = v.find(':');
    if (colon == std::string::npos) {
      out[""] = v;
      continue;
    }
    for (auto& c : split(v.substr(0, colon), ',')) out[c] = v.substr(colon + 1);
  }
  return out;
}

// The other half of the init's protection (see container.cpp): before
// `start` an init may still run the runtime's binary from a writable file,
// and a process that could ptrace it must not join it then.
Result<void> refuse_ptrace_before_start(const ExecOptions& opts, const ExecTarget& t) {
  if ((t.joins.child_flags & CLONE_NEWUSER) || live_status(t.state) != spec::Status::created ||
      !linux::may_hold(opts.process, CAP_SYS_PTRACE))
    return {};
  auto init_exe = HUSK_TRY(linux::exe_protection(("/proc/" + std::to_string(t.state.pid) + "/exe").c_str()));
  if (init_exe == linux::SelfExe::writable)
    return fail_code(EPERM, "exec: container " + opts.id +
                                " is not started yet and its init still runs the runtime's binary: a "
                                "process that may hold CAP_SYS_PTRACE cannot join it before start "
                                "(CVE-2019-5736)");
  return {};
}

Result<ExecTarget> open_exec_target(const Context& ctx, const ExecOptions& opts) {
  ExecTarget t;
  {
    StateStore store(ctx.root);
    auto dir = HUSK_TRY(store.open(opts.id));
    t.state = HUSK_TRY(dir.load_state());
    // An exec'd process gets the container's filter, as with runc.
    t.seccomp_spec = HUSK_TRY(spec::parse_config(HUSK_TRY(dir.load_config_text()))).linux.seccomp;
  }
  if (t.seccomp_spec)
    t.seccomp = HUSK_TRY_CTX(linux::compile_seccomp_cached(*t.seccomp_spec, ctx.seccomp_cache()), "exec");
  t.pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, t.state.pid, 0)));
  if (!t.pidfd || !linux::process_alive(t.state.pid, t.state.pid_start_time))
    return fail_code(ESRCH, "cannot exec in a stopped container: container not running");
  // A process that joins a frozen cgroup freezes before it runs anything,
  // and this command would wait for it until `resume`.
  if (!opts.ignore_paused && live_status(t.state) == spec::Status::paused)
    return fail_code(EBUSY, "cannot exec in a paused container (use --ignore-paused to override)");
  if (!t.state.cgroup_path.empty()) t.cgroup.emplace(HUSK_TRY(cgroup_manager_for(t.state)));
  if (!opts.sub_cgroups.empty()) {
    if (!t.cgroup) return fail_code(EINVAL, "exec --cgroup: container " + opts.id + " has no cgroup");
    t.sub_cgroups = HUSK_TRY(t.cgroup->sub_dirs(sub_cgroup_paths(opts.sub_cgroups)));
  }
  t.joins = linux::pidfd_joins(linux::namespace_inodes(t.state.pid), linux::namespace_inodes(::getpid()));
  HUSK_TRY(refuse_ptrace_before_start(opts, t));
  return t;
}

// Clones the exec'd process: in the container's pid and time namespaces
// (through a middle process inside its user namespace when we are not
// root), into its cgroup2 directory when the kernel can. We are back in our
// own namespaces when this returns.
Result<linux::Cloned> clone_exec_child(linux::Kernel& k, const ExecTarget& t, ExecChild& child) {
  if (child.new_user && ::geteuid() != 0) {
    // Rootless: what the container's user namespace owns (its pid namespace
    // too) can be joined only from inside it, which we must not enter.
    child.child_flags &= ~CLONE_NEWUSER;
    return HUSK_TRY_CTX(linux::clone_through_middle(
                            k,
                            [&]() -> Result<void> {
                              if (k.setns(t.pidfd.get(), CLONE_NEWUSER | t.joins.parent_flags) < 0)
                                return fail_errno("join the container's user and pid namespaces");
                              return {};
                            },
                            0, [&] { exec_child(k, child); }),
                        "clone exec process");
  }
  std::optional<linux::ChildNamespaces> ours;
  if (t.joins.parent_flags) {
    ours.emplace(HUSK_TRY(linux::ChildNamespaces::remember(k)));
    if (k.setns(t.pidfd.get(), t.joins.parent_flags) < 0) return fail_errno("join the container's pid namespace");
  }
  UniqueFd cgroup2;
  if (t.sub_cgroups) {
    if (!t.sub_cgroups->unified.empty())
      cgroup2 = HUSK_TRY(open_fd(t.sub_cgroups->unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  } else if (t.cgroup) {
    cgroup2 = HUSK_TRY(t.cgroup->open_unified());
  }
  auto cloned = HUSK_TRY_CTX(linux::clone_child(k, 0, cgroup2 ? cgroup2.get() : -1), "clone exec process");
  if (cloned.pid == 0) exec_child(k, child);
  return cloned;
}

Result<UniqueFd> abort_exec_child(pid_t pid, Error e) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return fail(std::move(e));
}

// From `go` to the child's exec: its cgroup, its pty, its seccomp listener,
// then its error or the end of the channel (close-on-exec: it exec'd).
// Returns the pty master (none without a terminal).
Result<UniqueFd> await_exec(ExecTarget& t, const linux::Cloned& cloned,
                            linux::SyncChannel& parent_ch, const UniqueFd& console_peer,
                            const std::string& pid_file) {
  pid_t pid = cloned.pid;
  if (t.sub_cgroups && !t.sub_cgroups->unified.empty() && !cloned.in_cgroup2) {
    if (auto r = write_file(t.sub_cgroups->unified + "/cgroup.procs", std::to_string(pid)); !r)
      return abort_exec_child(pid, r.error());
  } else if (t.cgroup && !t.sub_cgroups && !cloned.in_cgroup2) {
    if (auto r = t.cgroup->add_process(pid, cgroups::Manager::Hierarchies::unified); !r)
      return abort_exec_child(pid, r.error());
  }
  fault_point(Fault::runtime_exec_joined);
  if (auto r = parent_ch.send(linux::SyncMsg::go); !r) return abort_exec_child(pid, r.error());
  UniqueFd master;
  if (console_peer) {
    auto m = linux::receive_fd(console_peer.get());
    if (!m) {
      // The child failed before it had a terminal: its error says why.
      if (auto msg = parent_ch.receive(); msg && msg->type == linux::SyncMsg::error)
        return abort_exec_child(pid, Error(msg->value, msg->text, true, msg->kind));
      return abort_exec_child(pid, m.error().context("receive pty"));
    }
    master = std::move(*m);
    if (auto r = linux::clear_onlcr(master.get()); !r) return abort_exec_child(pid, r.error());
  }
  if (t.seccomp && t.seccomp->listener()) {
    t.state.status = spec::Status::running;
    auto json = spec::container_process_state_json(t.state, pid, t.seccomp_spec->listener_metadata);
    if (auto r = linux::forward_seccomp_listener(parent_ch, t.seccomp_spec->listener_path, json); !r)
      return abort_exec_child(pid, r.error());
  }
  auto msg = parent_ch.receive();
  if (msg && msg->type == linux::SyncMsg::error) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return fail(msg->error());
  }
  if (!pid_file.empty()) {
    if (auto r = write_file_atomic(pid_file, std::to_string(pid), 0644); !r)
      return abort_exec_child(pid, r.error().context("write pid file"));
  }
  return master;
}

}  // namespace

Result<int> exec_in_container(const Context& ctx, const ExecOptions& opts) {
  linux::HostKernel kernel;
  // The exec'd process is in the container's pid namespace, where its
  // processes may see it, until it execs: it runs from an unwritable binary.
  HUSK_TRY(linux::ensure_protected_self_exe());
  HUSK_TRY(spec::validate_process(opts.process));
  if (opts.process.terminal && opts.console_socket.empty() && opts.detach)
    return fail_code(EINVAL, "cannot allocate a tty without --console-socket when the runtime detaches");
  std::string pid_file = HUSK_TRY(absolute_from_cwd(opts.pid_file));
  auto target = HUSK_TRY(open_exec_target(ctx, opts));
  auto debug = [&](const std::string& m) {
    if (ctx.log) ctx.log->debug(opts.id + ": exec: " + m);
  };
  debug("joining the init (pid " + std::to_string(target.state.pid) + ")'s namespaces" +
        (target.cgroup ? " and cgroup" : ""));

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
                  target.pidfd.get(),
                  target.joins.child_flags,
                  (target.joins.child_flags & CLONE_NEWUSER) != 0,
                  console.get(),
                  opts.preserve_fds,
                  HUSK_TRY(linux::identify_runtime_binary()),
                  target.seccomp ? &*target.seccomp : nullptr,
                  linux::plan_lsm(opts.process.apparmor_profile, opts.process.selinux_label, ""),
                  {parent_ch.fd(), console_peer.get()},
                  target.sub_cgroups ? target.sub_cgroups->v1
                  : target.cgroup    ? target.cgroup->v1_dirs()
                                     : std::vector<std::string>{}};
  if (ctx.log && ctx.log->fd() >= 0) child.parent_only_fds.push_back(ctx.log->fd());
  if (ctx.log)
    for (auto& m : child.lsm.unapplied) ctx.log->warn(opts.id + ": exec: " + m);
  auto cloned = HUSK_TRY(clone_exec_child(kernel, target, child));
  debug("process cloned: pid " + std::to_string(cloned.pid));
  child_ch.close();
  console.reset();

  auto master = HUSK_TRY(await_exec(target, cloned, parent_ch, console_peer, pid_file));
  debug("process runs " + (opts.process.args.empty() ? std::string() : opts.process.args[0]));
  if (opts.detach) return 0;
  int code = HUSK_TRY(supervise(cloned.pid, master.get(), *signals));
  debug("process exited: " + std::to_string(code));
  return code;
}

}  // namespace husk::runtime
