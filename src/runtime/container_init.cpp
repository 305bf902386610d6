#include "runtime/container_init.hpp"

#include <fcntl.h>

#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cstring>
#include <optional>

#include "base/fault.hpp"
#include "base/file.hpp"
#include "cgroups/manager.hpp"
#include "linux/console.hpp"
#include "linux/network.hpp"
#include "runtime/hooks.hpp"
#include "spec/state.hpp"

namespace husk::runtime {
namespace {

Result<void> set_oom_score_adj(int value) {
  auto current = read_file("/proc/self/oom_score_adj");
  if (current && std::stoi(*current) == value) return {};
  return with_context(write_file("/proc/self/oom_score_adj", std::to_string(value)), "set oom_score_adj");
}

// A keyring of its own, so the container cannot read or plant keys in the
// session keyring of whoever ran the runtime.
Result<void> join_new_session_keyring(const std::string& id) {
  constexpr long kKeyctlJoinSessionKeyring = 1;
  std::string name = "_ses." + id;
  if (::syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, name.c_str(), 0, 0, 0) < 0) {
    // No keyrings in this kernel, or the user namespace's quota: runc goes on too.
    if (errno == ENOSYS || errno == EDQUOT) return {};
    return fail_errno("join a new session keyring");
  }
  return {};
}

}  // namespace

// The last steps before `ready`: identity and the seccomp filter, loaded as
// late as the kernel lets us, so that the fewest of our own system calls
// run under it. Without no_new_privs loading it takes CAP_SYS_ADMIN, so it
// comes before the identity drops that (as runc does); with it, after.
// What still runs under the filter: the identity's prctl/setgroups/setres*id/
// capset (without no_new_privs), the sync messages (sendmsg, recv), the
// wait for start (read), startContainer hooks, rt_sigaction/rt_sigprocmask,
// prctl and execve: all allowed by docker's profile. Our fds are closed
// before, so a profile that denies close_range cannot leak them into the
// container (CVE-2024-21626: nor may the waiting init hold them).
Result<void> confine(const spec::Process& proc, const linux::SeccompProgram* seccomp, int preserve_fds,
                     const linux::SyncChannel& channel, std::vector<int> keep_fds) {
  keep_fds.push_back(channel.fd());
  HUSK_TRY(linux::close_fds_from(3 + preserve_fds, std::move(keep_fds)));
  HUSK_TRY(linux::give_stdio_to(proc.user.uid));
  if (seccomp && !proc.no_new_privileges) HUSK_TRY(linux::apply_seccomp(*seccomp, channel));
  HUSK_TRY(linux::apply_identity(proc, linux::setgroups_allowed()));
  if (seccomp && proc.no_new_privileges) HUSK_TRY(linux::apply_seccomp(*seccomp, channel));
  return {};
}

namespace {

Result<linux::Executable> setup(linux::Kernel& k, const InitPlan& plan) {
  const auto& c = *plan.config;
  const auto& proc = *c.process;
  const auto& ns = *plan.namespaces;

  if (plan.await_go) HUSK_TRY(plan.channel->expect(linux::SyncMsg::go));
  if (plan.unprivileged_parent) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  HUSK_TRY(linux::join_init_namespaces(k, ns));
  if (::setsid() < 0) return fail_errno("setsid");
  if (plan.new_session_keyring) HUSK_TRY(join_new_session_keyring(plan.id));
  if (ns.clone_flags & CLONE_NEWNET) HUSK_TRY(linux::bring_up_loopback());
  if (!c.hostname.empty() && k.sethostname(c.hostname.data(), c.hostname.size()) < 0)
    return fail_errno("set hostname");
  if (!c.domainname.empty() && k.setdomainname(c.domainname.data(), c.domainname.size()) < 0)
    return fail_errno("set domainname");

  // The runtime makes our cgroup and sets its limits while we build the
  // rootfs. We wait for its directories where a mount needs them, and for
  // its limits as late as we can: before anything of the container runs
  // (hooks, the process), or before the cgroup namespace is needed (it is
  // unshared once we are in the cgroup, so the container sees it as its
  // root). The v1 `tasks` files are opened before pivot_root, while the
  // host's /sys/fs/cgroup is in view, and written once the limits are set.
  std::optional<std::vector<cgroups::Manager::V1Task>> tasks;
  auto await_dirs = [&]() -> Result<void> {
    if (tasks) return {};
    HUSK_TRY(plan.channel->expect(linux::SyncMsg::cgroup_made));
    tasks = HUSK_TRY(cgroups::Manager::open_v1_self(plan.self_attach_v1));
    return {};
  };
  bool in_cgroup = false;
  auto await_cgroup = [&]() -> Result<void> {
    if (in_cgroup) return {};
    HUSK_TRY(await_dirs());
    HUSK_TRY(plan.channel->expect(linux::SyncMsg::cgroup_ready));
    HUSK_TRY(cgroups::Manager::join_v1_self(*tasks));
    tasks->clear();
    in_cgroup = true;
    if (ns.new_cgroup && k.unshare(CLONE_NEWCGROUP) < 0) return fail_errno("unshare cgroup namespace");
    return {};
  };
  linux::RootfsSpec rootfs = plan.rootfs;
  if (ns.new_cgroup)
    rootfs.await_cgroup = await_cgroup;
  else
    rootfs.await_cgroup = await_dirs;
  UniqueFd rootfd = HUSK_TRY_CTX(linux::prepare_rootfs(k, rootfs), "rootfs");
  fault_point(Fault::runtime_create_rootfs);
  bool hooks_here =
      !c.hooks.prestart.empty() || !c.hooks.create_runtime.empty() || !c.hooks.create_container.empty();
  if (hooks_here) HUSK_TRY(await_cgroup());
  if (!c.hooks.prestart.empty() || !c.hooks.create_runtime.empty()) {
    HUSK_TRY(plan.channel->send(linux::SyncMsg::create_hooks));
    HUSK_TRY(plan.channel->expect(linux::SyncMsg::hooks_done));
  }
  if (!c.hooks.create_container.empty()) {
    HUSK_TRY(run_hooks(c.hooks.create_container, "createContainer",
                       hook_state_json(c, plan.id, ::getpid(), plan.rootfs.bundle, "creating"), &proc.env));
  }
  rootfd.reset();
  HUSK_TRY_CTX(linux::enter_rootfs(k, plan.rootfs), "rootfs");

  if (proc.terminal) {
    auto pty = HUSK_TRY_CTX(linux::open_pty(proc.console_size), "console");
    HUSK_TRY_CTX(linux::send_fd(plan.console_fd, pty.master.get(), pty.slave_path), "console");
    HUSK_TRY_CTX(linux::mount_console(k, pty.slave_path), "console");
    HUSK_TRY_CTX(linux::become_terminal_user(pty.slave.get()), "console");
  }
  // Before a read-only root is remounted so.
  HUSK_TRY(linux::make_missing_cwd(proc.cwd, proc.user.uid, proc.user.gid));
  HUSK_TRY_CTX(linux::finalize_rootfs(k, plan.rootfs), "rootfs");

  if (proc.oom_score_adj) HUSK_TRY(set_oom_score_adj(*proc.oom_score_adj));
  if (c.linux.personality && c.linux.personality->domain == "LINUX32" && ::personality(PER_LINUX32) < 0)
    return fail_errno("set personality LINUX32");
  HUSK_TRY(linux::set_rlimits(proc.rlimits));
  ::umask(proc.user.umask.value_or(022));
  if (::chdir(proc.cwd.c_str()) < 0) return fail_errno("chdir to cwd \"" + proc.cwd + "\"");
  HUSK_TRY(linux::verify_cwd_inside_root());

  std::string path = HUSK_TRY(linux::find_executable(proc.args[0], proc.env));
  HUSK_TRY(linux::refuse_runtime_binary(path, plan.self));
  // Read while still root: the container's passwd names the user's home.
  auto env = linux::env_with_home(proc.env, proc.user.uid);
  HUSK_TRY(await_cgroup());
  HUSK_TRY(linux::apply_exec_labels(plan.lsm));
  HUSK_TRY(
      confine(proc, plan.seccomp, plan.preserve_fds, *plan.channel, {plan.start_fd, plan.start_write_fd}));
  return linux::Executable{std::move(path), std::move(env)};
}

}  // namespace

std::string hook_state_json(const spec::Config& c, const std::string& id, int pid, const std::string& bundle,
                            const std::string& status) {
  spec::State s;
  s.id = id;
  s.pid = pid;
  s.bundle = bundle;
  s.annotations = c.annotations;
  s.status = status == "creating"  ? spec::Status::creating
             : status == "created" ? spec::Status::created
                                   : spec::Status::running;
  return spec::state_to_spec_json(s);
}

void container_init(linux::Kernel& k, const InitPlan& plan) {
  // Until `start`, nobody inside may open our /proc entries (exe, fds).
  if (!plan.unprivileged_parent) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  for (int fd : plan.parent_only_fds) ::close(fd);
  // What we inherited from the runtime and its caller reaches no hook; it
  // is closed for good in confine().
  linux::cloexec_fds_from(3 + plan.preserve_fds);
  auto path = setup(k, plan);
  if (!path) {
    (void)plan.channel->send_error(path.error());
    ::_exit(1);
  }
  // From here on the runtime may exit: we wait for `start` instead.
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (!plan.channel->send(linux::SyncMsg::ready)) ::_exit(1);

  char byte;
  ssize_t n;
  do {
    n = ::read(plan.start_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(1);  // every writer went away: the container was deleted

  const auto& c = *plan.config;
  if (!c.hooks.start_container.empty()) {
    auto r =
        run_hooks(c.hooks.start_container, "startContainer",
                  hook_state_json(c, plan.id, ::getpid(), plan.rootfs.bundle, "created"), &c.process->env);
    if (!r) {
      std::string msg = "husk-runtime: " + r.error().what() + "\n";
      (void)!::write(STDERR_FILENO, msg.data(), msg.size());
      ::_exit(1);
    }
  }
  linux::reset_signals();
  int err = linux::exec_process(*path, *c.process);
  std::string msg = "husk-runtime: exec " + path->path + ": " + std::strerror(err) + "\n";
  (void)!::write(STDERR_FILENO, msg.data(), msg.size());
  ::_exit(linux::exit_code_for_exec_error(err));
}

}  // namespace husk::runtime
