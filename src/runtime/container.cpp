#include "runtime/container.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>

#include "base/fault.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "cgroups/manager.hpp"
#include "linux/capabilities.hpp"
#include "linux/console.hpp"
#include "linux/idmap.hpp"
#include "linux/proc.hpp"
#include "linux/seccomp.hpp"
#include "linux/self_exe.hpp"
#include "runtime/container_init.hpp"
#include "runtime/foreground.hpp"
#include "runtime/hooks.hpp"
#include "runtime/limits.hpp"
#include "runtime/live.hpp"
#include "runtime/state_store.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace husk::runtime {
namespace {

Result<std::string> absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return fail_errno("resolve " + path);
  return std::string(buf);
}

// Everything a half-made container holds, undone unless disarmed.
struct LaunchGuard {
  std::optional<ContainerDir> dir;
  std::optional<cgroups::Manager> cgroup;
  pid_t child = -1;
  bool armed = true;
  ~LaunchGuard() {
    if (!armed) return;
    if (child > 0) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    if (cgroup) (void)cgroup->destroy();
    if (dir) (void)dir->remove();
  }
};

struct Launched {
  ContainerDir dir;
  std::optional<cgroups::Manager> cgroup;
  spec::State state;
  spec::Config config;
  UniqueFd start_fd;  // our copy of the init's start pipe (write end)
  UniqueFd master;    // pty master for a foreground terminal
  pid_t pid = -1;
};

Result<void> write_pid_file(const std::string& path, int pid) {
  if (path.empty()) return {};
  return with_context(write_file_atomic(path, std::to_string(pid), 0644), "write pid file");
}

Result<void> set_time_offsets(const spec::Linux& l) {
  std::string text;
  if (l.monotonic_offset)
    text += "monotonic " + std::to_string(l.monotonic_offset->secs) + " " +
            std::to_string(l.monotonic_offset->nanosecs) + "\n";
  if (l.boottime_offset)
    text += "boottime " + std::to_string(l.boottime_offset->secs) + " " +
            std::to_string(l.boottime_offset->nanosecs) + "\n";
  if (text.empty()) return {};
  return with_context(write_file("/proc/self/timens_offsets", text), "set time namespace offsets");
}

// Enters (or makes) the pid and time namespaces the init is to be born in
// (they apply to children only), and those a new user namespace's init
// could not join itself (plan_namespaces).
Result<void> enter_namespaces_for_child(linux::Kernel& k, const linux::NamespacePlan& ns,
                                        const spec::Linux& l) {
  for (auto& j : ns.parent_joins) HUSK_TRY(linux::join_namespace(k, j));
  if (ns.new_time) {
    if (k.unshare(CLONE_NEWTIME) < 0) return fail_errno("unshare time namespace");
    HUSK_TRY(set_time_offsets(l));
  }
  return {};
}

// A user namespace joined by path must own the namespaces the container
// makes (or its root could not mount in its own mount namespace), so they
// are made after joining it; the runtime stays in the host's.
Result<linux::Cloned> clone_init_in_joined_userns(linux::Kernel& k, const linux::NamespacePlan& ns,
                                                  const spec::Linux& l, const InitPlan& plan) {
  return linux::clone_through_middle(
      k,
      [&]() -> Result<void> {
        HUSK_TRY(linux::join_namespace(k, ns.child_joins.front()));
        return enter_namespaces_for_child(k, ns, l);
      },
      static_cast<unsigned long>(ns.clone_flags), [&] { container_init(k, plan); });
}

// Clones the container's init with the namespaces the plan creates, entering
// the pid and time namespaces around the clone and leaving them right after.
// CGROUP2: the container's cgroup2 directory, or -1.
Result<linux::Cloned> clone_init(linux::Kernel& k, const linux::NamespacePlan& ns, const spec::Linux& l,
                                 const InitPlan& plan, int cgroup2) {
  if (ns.join_user_first) return clone_init_in_joined_userns(k, ns, l, plan);
  std::optional<linux::ChildNamespaces> ours;
  if (!ns.parent_joins.empty() || ns.new_time) ours.emplace(HUSK_TRY(linux::ChildNamespaces::remember(k)));
  HUSK_TRY(enter_namespaces_for_child(k, ns, l));
  auto cloned = HUSK_TRY_CTX(linux::clone_child(k, static_cast<unsigned long>(ns.clone_flags), cgroup2),
                             "clone container init");
  if (cloned.pid == 0) container_init(k, plan);
  return cloned;
}

// CVE-2019-5736 and the init: until it execs the user's process it runs the
// runtime's binary. Running it from an unwritable view costs a re-exec, so
// the init gets one when a container process could reach the binary first:
// - through /proc/PID/exe: the init is non-dumpable, so only a process that
//   sees it (in its pid namespace) and holds CAP_SYS_PTRACE over our user
//   namespace (which owns the init's memory) can open that. So: a pid
//   namespace that is not new (the host's, or joined: others live there), or
//   no user namespace of its own and capabilities that keep CAP_SYS_PTRACE
//   (an `exec` before `start` could bring in such a process; exec checks
//   what it adds itself);
// - by the kernel running /proc/self/exe for the init's execve: a `#!` line
//   is refused before the exec; a binfmt_misc handler of the init's user
//   namespace could exist by then only in one joined by path.
bool init_reachable_before_exec(const linux::NamespacePlan& ns, const spec::Process& p) {
  if (!ns.new_pid || ns.join_user_first) return true;
  return !ns.new_user && linux::may_hold(p, CAP_SYS_PTRACE);
}

// Everything create needs from the bundle, checked before anything is made.
struct Bundle {
  std::string dir;
  std::string config_text;  // kept beside the state for exec and delete
  spec::Config config;
  std::string rootfs;
  std::string pid_file;  // absolute: we chdir into the bundle later
};

Result<Bundle> load_bundle(const Context& ctx, const CreateOptions& opts, bool foreground) {
  HUSK_TRY(spec::validate_id(opts.id));
  Bundle b;
  b.pid_file = HUSK_TRY(absolute_from_cwd(opts.pid_file));
  b.dir = HUSK_TRY_CTX(absolute(opts.bundle.empty() ? "." : opts.bundle), "bundle");
  b.config_text = HUSK_TRY_CTX(read_file(b.dir + "/config.json"), "bundle");
  b.config = HUSK_TRY_CTX(spec::parse_config(b.config_text), "config.json");
  const auto& config = b.config;
  if (!config.process) return fail_code(EINVAL, "config.json: process is required to create a container");
  if (ctx.systemd_cgroup)
    return fail_code(ENOTSUP, "--systemd-cgroup: the systemd cgroup driver is not supported yet");
  b.rootfs = config.root.path[0] == '/' ? config.root.path : b.dir + "/" + config.root.path;
  struct stat st;
  if (::stat(b.rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
    return fail_code(ENOENT, "rootfs (" + b.rootfs + ") does not exist");
  b.rootfs = HUSK_TRY(absolute(b.rootfs));
  if (config.process->terminal && opts.console_socket.empty() && !foreground)
    return fail_code(EINVAL, "cannot allocate a tty without --console-socket when the runtime detaches");
  HUSK_TRY(linux::check_id_map(config.linux.uid_mappings, "linux.uidMappings"));
  HUSK_TRY(linux::check_id_map(config.linux.gid_mappings, "linux.gidMappings"));
  return b;
}

void debug(const Context& ctx, const std::string& id, const std::string& m) {
  if (ctx.log) ctx.log->debug(id + ": " + m);
}

// Phase 1: everything create decides before anything exists.
struct LaunchPlan {
  Bundle bundle;
  linux::NamespacePlan ns;
  std::optional<linux::SeccompProgram> seccomp;
  std::optional<cgroups::Manager> cgroup;  // the guard's once the state names it
  std::string cgroup_path;                 // "" when a rootless container has none
  cgroups::Plan limits;
};

Result<LaunchPlan> plan_launch(const Context& ctx, const CreateOptions& opts, bool foreground) {
  LaunchPlan lp;
  lp.bundle = HUSK_TRY(load_bundle(ctx, opts, foreground));
  if (opts.listen_fds > 0) {
    // The process is the one the sockets are meant for now (runc's words for it).
    auto& env = lp.bundle.config.process->env;
    env.push_back("LISTEN_FDS=" + std::to_string(opts.listen_fds));
    env.push_back("LISTEN_PID=1");
  }
  const auto& config = lp.bundle.config;
  lp.ns = HUSK_TRY(linux::plan_namespaces(config.linux));
  if (init_reachable_before_exec(lp.ns, *config.process)) HUSK_TRY(linux::ensure_protected_self_exe());
  debug(ctx, opts.id, "config parsed; rootfs " + lp.bundle.rootfs);
  // Compiled here, once: the init only loads it, and a profile libseccomp
  // refuses fails create before anything exists.
  if (config.linux.seccomp)
    lp.seccomp = HUSK_TRY_CTX(linux::compile_seccomp_cached(*config.linux.seccomp, ctx.seccomp_cache()),
                              "create " + opts.id);
  auto layout = HUSK_TRY(cgroups::detect_layout());
  std::string self_cgroup;
  if (!config.linux.cgroups_path.empty() && config.linux.cgroups_path[0] != '/')
    self_cgroup = HUSK_TRY(read_file("/proc/self/cgroup"));
  lp.cgroup_path =
      HUSK_TRY(cgroups::resolve_cgroups_path(config.linux.cgroups_path, opts.id, layout, self_cgroup));
  lp.cgroup.emplace(std::move(layout), lp.cgroup_path);
  // A cgroup someone froze would freeze the init, and create would wait
  // for it forever: refused, as runc does (an absent one reads as thawed).
  if (auto frozen = lp.cgroup->frozen(); frozen && *frozen)
    return fail_code(
        EBUSY, "create " + opts.id + ": container's cgroup " + lp.cgroup_path + " is unexpectedly frozen");
  // Limits are planned before anything exists: a resource this host cannot
  // enforce fails create with nothing to undo.
  if (config.linux.resources) {
    auto host = HUSK_TRY(lp.cgroup->controllers());
    lp.limits = HUSK_TRY_CTX(cgroups::plan_resources(container_resources(config), host), "create " + opts.id);
    if (ctx.log)
      for (auto& w : lp.limits.warnings) ctx.log->warn(opts.id + ": " + w);
  }
  return lp;
}

// Phase 2: the state directory and "creating", then the cgroup. Returns
// whether the v1 hierarchies are still to be made (after the clone).
Result<bool> persist_and_make_cgroup(const Context& ctx, const CreateOptions& opts, LaunchPlan& lp,
                                     LaunchGuard& guard, spec::State& state) {
  StateStore store(ctx.root);
  guard.dir = HUSK_TRY(store.create(opts.id));
  fault_point(Fault::runtime_create_dir);
  // "creating" and the cgroup's path are on disk before the cgroup is made:
  // a runtime killed from here on leaves a state that `state` shows and
  // from which `delete --force` knows what to remove (the init, cloned
  // later, dies with us through its parent-death signal).
  const auto& config = lp.bundle.config;
  state.id = opts.id;
  state.bundle = lp.bundle.dir;
  state.rootfs = lp.bundle.rootfs;
  state.created = now_rfc3339();
  state.annotations = config.annotations;
  state.cgroup_path = lp.cgroup_path;
  state.status = spec::Status::creating;
  state.pid_namespace_owned = lp.ns.new_pid;
  HUSK_TRY(guard.dir->save_state(state));
  // Destroying a cgroup that was never made is harmless, so the guard owns it from here.
  guard.cgroup.emplace(std::move(*lp.cgroup));
  lp.cgroup.reset();
  // The cgroup2 directory exists before the init: it is cloned into it. The
  // v1 ones are made while the init sets up its namespaces, and it joins
  // them itself once their limits are set. Rootless, all are made first, as
  // whether there is a cgroup at all decides what the init is told.
  bool v1_later = guard.cgroup->has_unified() && guard.cgroup->has_v1() && !ctx.rootless;
  if (auto made = guard.cgroup->create(v1_later ? cgroups::Manager::Hierarchies::unified
                                                : cgroups::Manager::Hierarchies::all);
      !made) {
    // runc's --rootless: a cgroup nobody asked for (no cgroupsPath, no
    // limits) that we may not make is no error; the container stays in ours
    // and has none of its own.
    int err = made.error().err();
    if (!ctx.rootless || !config.linux.cgroups_path.empty() || !lp.limits.writes.empty() ||
        (err != EACCES && err != EPERM && err != EROFS))
      return fail(std::move(made).error());
    debug(ctx, opts.id, "rootless: no cgroup of its own (" + made.error().what() + ")");
    (void)guard.cgroup->destroy();
    guard.cgroup.reset();
    lp.cgroup_path.clear();
  }
  return v1_later;
}

// Between the runtime and its init: the sync channel, the start pipe and,
// for a terminal, the console socket. Each pair's first is the init's.
struct InitChannels {
  UniqueFd console, console_peer;
  linux::SyncChannel parent, child;
  UniqueFd start_read, start_write;
};

Result<InitChannels> open_init_channels(const spec::Process& proc, const CreateOptions& opts) {
  InitChannels ch;
  if (proc.terminal) {
    auto console = HUSK_TRY(linux::open_console_channel(opts.console_socket));
    ch.console = std::move(console.to_process);
    ch.console_peer = std::move(console.to_runtime);
  }
  auto [parent, child] = HUSK_TRY(linux::SyncChannel::make_pair());
  ch.parent = std::move(parent);
  ch.child = std::move(child);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) return fail_errno("start pipe");
  ch.start_read = UniqueFd(pipefd[0]);
  ch.start_write = UniqueFd(pipefd[1]);
  return ch;
}

Result<InitPlan> make_init_plan(const Context& ctx, const CreateOptions& opts, const LaunchPlan& lp,
                                const LaunchGuard& guard, const InitChannels& ch) {
  const auto& config = lp.bundle.config;
  const auto& proc = *config.process;
  InitPlan plan;
  plan.id = opts.id;
  plan.config = &config;
  plan.namespaces = &lp.ns;
  plan.rootfs.config = &config;
  plan.rootfs.rootfs = lp.bundle.rootfs;
  plan.rootfs.bundle = lp.bundle.dir;
  plan.rootfs.in_user_namespace = lp.ns.new_user || lp.ns.join_user_first;
  plan.rootfs.new_cgroup_namespace = lp.ns.new_cgroup;
  plan.rootfs.no_pivot = opts.no_pivot;
  if (guard.cgroup) plan.rootfs.cgroups = guard.cgroup->views();
  plan.channel = &ch.child;
  plan.console_fd = ch.console.get();
  plan.start_fd = ch.start_read.get();
  plan.start_write_fd = ch.start_write.get();
  // As runc: the socket-activation fds first (systemd hands them out from
  // 3), then the preserved ones.
  plan.preserve_fds = opts.listen_fds + opts.preserve_fds;
  plan.new_session_keyring = !opts.no_new_keyring;
  plan.self = HUSK_TRY(linux::identify_runtime_binary());
  plan.seccomp = lp.seccomp ? &*lp.seccomp : nullptr;
  plan.lsm = linux::plan_lsm(proc.apparmor_profile, proc.selinux_label, config.linux.mount_label);
  plan.rootfs.mount_label = plan.lsm.mount_label;
  // Said every time: a profile asked for and not applied must not pass unnoticed.
  if (ctx.log)
    for (auto& m : plan.lsm.unapplied) ctx.log->warn(opts.id + ": " + m);
  plan.unprivileged_parent = ::geteuid() != 0;
  plan.await_go = lp.ns.new_user || plan.unprivileged_parent;
  plan.parent_only_fds = {guard.dir->fd(), ch.parent.fd(), ch.console_peer.get()};
  plan.parent_only_fds.insert(plan.parent_only_fds.end(), opts.close_in_init.begin(),
                              opts.close_in_init.end());
  if (ctx.log && ctx.log->fd() >= 0) plan.parent_only_fds.push_back(ctx.log->fd());
  return plan;
}

// Phase 3a: the init is cloned (into its cgroup2 directory when there is
// one); the ends that are only its own are closed here.
Result<linux::Cloned> start_init(linux::Kernel& k, const Context& ctx, const LaunchPlan& lp,
                                 LaunchGuard& guard, InitPlan& plan, InitChannels& ch) {
  // Relative bind sources and hooks see the bundle as their cwd, as with runc.
  if (::chdir(lp.bundle.dir.c_str()) < 0) return fail_errno("chdir " + lp.bundle.dir);
  UniqueFd cgroup2;
  if (guard.cgroup) {
    cgroup2 = HUSK_TRY(guard.cgroup->open_unified());
    if (!plan.rootfs.in_user_namespace) plan.self_attach_v1 = guard.cgroup->v1_dirs();
  }
  // Id-mapped binds, and every bind of an init in a user namespace when we
  // are root (a rootless runtime could not make them), are made here, in
  // the host's namespaces: the init attaches them (linux/rootfs.hpp); ours
  // close once it is cloned.
  bool every_bind = plan.rootfs.in_user_namespace && !plan.unprivileged_parent;
  auto idmapped =
      HUSK_TRY_CTX(linux::prepare_binds(k, lp.bundle.config, lp.bundle.dir, every_bind), "rootfs");
  for (auto& [index, tree] : idmapped) plan.rootfs.prepared_binds[index] = tree.get();
  auto cloned = HUSK_TRY(clone_init(k, lp.ns, lp.bundle.config.linux, plan, cgroup2 ? cgroup2.get() : -1));
  cgroup2.reset();
  idmapped.clear();
  debug(ctx, plan.id, "init cloned: pid " + std::to_string(cloned.pid));
  guard.child = cloned.pid;
  fault_point(Fault::runtime_create_init);
  ch.child.close();
  ch.start_read.reset();
  ch.console.reset();
  return cloned;
}

// Phase 3b: while the init builds its namespaces and rootfs, we record it
// and set its limits: its pid is on disk before the limits are set and
// before the init joins its v1 cgroups, so if we die from here on
// `delete --force` knows what to kill.
Result<void> place_init(const Context& ctx, const LaunchPlan& lp, LaunchGuard& guard, const InitPlan& plan,
                        InitChannels& ch, const linux::Cloned& cloned, bool v1_later, spec::State& state) {
  const auto& config = lp.bundle.config;
  pid_t pid = cloned.pid;
  if (plan.await_go) {
    if (lp.ns.new_user)
      HUSK_TRY(linux::write_id_maps(pid, config.linux.uid_mappings, config.linux.gid_mappings));
    HUSK_TRY(ch.parent.send(linux::SyncMsg::go));
  }
  if (guard.cgroup && v1_later) HUSK_TRY(guard.cgroup->create(cgroups::Manager::Hierarchies::v1));
  HUSK_TRY(ch.parent.send(linux::SyncMsg::cgroup_made));

  state.pid = pid;
  state.cgroup_path = lp.cgroup_path;
  state.start_fd = ch.start_write.get();
  state.pid_start_time = HUSK_TRY(linux::process_start_time(pid));
  HUSK_TRY(guard.dir->save_state(state));
  fault_point(Fault::runtime_create_state);
  if (guard.cgroup) {
    HUSK_TRY_CTX(guard.cgroup->apply(lp.limits), "create " + state.id);
    if (!cloned.in_cgroup2) HUSK_TRY(guard.cgroup->add_process(pid, cgroups::Manager::Hierarchies::unified));
    if (plan.self_attach_v1.empty())
      HUSK_TRY(guard.cgroup->add_process(pid, cgroups::Manager::Hierarchies::v1));
    debug(ctx, state.id,
          "init is in cgroup " + lp.cgroup_path + " (" + cgroups::layout_name(guard.cgroup->layout().kind) +
              " layout)");
  }
  HUSK_TRY(ch.parent.send(linux::SyncMsg::cgroup_ready));
  HUSK_TRY(guard.dir->save_config_text(lp.bundle.config_text));
  return {};
}

// Phase 3c: the hooks the init asks for, its seccomp listener, its `ready`.
Result<void> await_init_ready(const Context& ctx, const LaunchPlan& lp, InitChannels& ch,
                              const spec::State& state) {
  const auto& config = lp.bundle.config;
  if (!config.hooks.prestart.empty() || !config.hooks.create_runtime.empty()) {
    HUSK_TRY_CTX(ch.parent.expect(linux::SyncMsg::create_hooks), "create " + state.id);
    // The spec's "created": the create steps are done once these run (runc
    // 1.1.5 sends "creating"; README).
    spec::State created = state;
    created.status = spec::Status::created;
    std::string sj = spec::state_to_spec_json(created);
    HUSK_TRY(run_hooks(config.hooks.prestart, "prestart", sj));
    HUSK_TRY(run_hooks(config.hooks.create_runtime, "createRuntime", sj));
    HUSK_TRY(ch.parent.send(linux::SyncMsg::hooks_done));
  }
  if (lp.seccomp && lp.seccomp->listener()) {
    auto& sc = *config.linux.seccomp;
    HUSK_TRY_CTX(linux::forward_seccomp_listener(
                     ch.parent, sc.listener_path,
                     spec::container_process_state_json(state, state.pid, sc.listener_metadata)),
                 "create " + state.id);
  }
  HUSK_TRY(ch.parent.expect(linux::SyncMsg::ready));
  debug(ctx, state.id, "init is set up (namespaces, rootfs, pivot_root, identity) and waits for start");
  fault_point(Fault::runtime_create_ready);
  return {};
}

// Phase 4: "created" on disk (unless `run` goes on at once), the pid file,
// and what the caller keeps.
Result<Launched> finish_launch(LaunchPlan& lp, LaunchGuard& guard, InitChannels& ch, spec::State& state,
                               bool starting) {
  Launched out;
  if (ch.console_peer) {
    out.master = HUSK_TRY_CTX(linux::receive_fd(ch.console_peer.get()), "receive pty");
    HUSK_TRY(linux::clear_onlcr(out.master.get()));
  }
  state.status = spec::Status::created;
  if (!starting) HUSK_TRY(guard.dir->save_state(state));
  HUSK_TRY(write_pid_file(lp.bundle.pid_file, state.pid));

  guard.armed = false;
  out.dir = std::move(*guard.dir);
  out.cgroup = std::move(guard.cgroup);
  out.pid = state.pid;
  out.state = std::move(state);
  out.config = std::move(lp.bundle.config);
  out.start_fd = std::move(ch.start_write);
  return out;
}

// STARTING: `run` wakes the init right away, still holding the lock, and
// records "running" itself: nobody could see a "created" state in between.
Result<Launched> launch(const Context& ctx, const CreateOptions& opts, bool foreground, bool starting) {
  LaunchGuard guard;
  linux::HostKernel kernel;
  auto lp = HUSK_TRY(plan_launch(ctx, opts, foreground));
  spec::State state;
  bool v1_later = HUSK_TRY(persist_and_make_cgroup(ctx, opts, lp, guard, state));
  fault_point(Fault::runtime_create_cgroup);

  auto ch = HUSK_TRY(open_init_channels(*lp.bundle.config.process, opts));
  auto plan = HUSK_TRY(make_init_plan(ctx, opts, lp, guard, ch));
  auto cloned = HUSK_TRY(start_init(kernel, ctx, lp, guard, plan, ch));
  HUSK_TRY(place_init(ctx, lp, guard, plan, ch, cloned, v1_later, state));
  HUSK_TRY(await_init_ready(ctx, lp, ch, state));
  return finish_launch(lp, guard, ch, state, starting);
}

// Tears down a container whose init is gone or must go: every process in its
// cgroup killed, poststop hooks, cgroup and state removed.
// `run` passes the config and cgroup it already has; `delete` reads them back.
Result<void> destroy(const ContainerDir& dir, const spec::State& s, const Context& ctx,
                     const spec::Config* config = nullptr, const cgroups::Manager* cgroup = nullptr) {
  if (s.pid > 0 && linux::process_alive(s.pid, s.pid_start_time)) ::kill(s.pid, SIGKILL);
  fault_point(Fault::runtime_delete_killed);
  std::optional<cgroups::Manager> own_cgroup;
  if (!cgroup) {
    if (auto cg = cgroup_manager_for(s)) own_cgroup.emplace(std::move(*cg));
    cgroup = own_cgroup ? &*own_cgroup : nullptr;
  }
  if (cgroup) HUSK_TRY(cgroup->destroy());
  fault_point(Fault::runtime_delete_cgroup);
  std::optional<spec::Config> own_config;
  if (!config) {
    if (auto text = dir.load_config_text())
      if (auto parsed = spec::parse_config(*text)) own_config.emplace(std::move(*parsed));
    config = own_config ? &*own_config : nullptr;
  }
  if (config && !config->hooks.poststop.empty()) {
    spec::State stopped = s;
    stopped.status = spec::Status::stopped;
    for (auto& e : run_hooks_all(config->hooks.poststop, "poststop", spec::state_to_spec_json(stopped)))
      if (ctx.log) ctx.log->warn(e.what());
  }
  return dir.remove();
}

// Tells the init to go on, records the container as running while the init
// gets there, and waits until it has exec'd the user's process (or died): the
// init's read end of the start pipe is close-on-exec, so a pipe with no reader
// left means the process we started is the user's now. startContainer hooks
// run in between, so poststart comes strictly after them, as the spec asks.
Result<void> release_init(int start_write, const ContainerDir& dir, spec::State& s) {
  char byte = 0;
  if (::write(start_write, &byte, 1) != 1) return fail_errno("start " + s.id);
  fault_point(Fault::runtime_start_woken);
  s.status = spec::Status::running;
  HUSK_TRY(dir.save_state(s));
  pollfd p{.fd = start_write, .events = 0, .revents = 0};
  while (::poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return fail_errno("start " + s.id + ": wait for exec");
  }
  return {};
}

Result<void> wake_init(const ContainerDir& dir, spec::State& s) {
  std::string path = "/proc/" + std::to_string(s.pid) + "/fd/" + std::to_string(s.start_fd);
  UniqueFd fd = HUSK_TRY_CTX(open_fd(path, O_WRONLY), "start " + s.id);
  return release_init(fd.get(), dir, s);
}

void run_poststart(const spec::Config& c, const spec::State& s, const Context& ctx) {
  if (c.hooks.poststart.empty()) return;
  spec::State running = s;
  running.status = spec::Status::running;
  // The spec: a failing poststart hook is logged, and the container goes on.
  for (auto& e : run_hooks_all(c.hooks.poststart, "poststart", spec::state_to_spec_json(running)))
    if (ctx.log) ctx.log->warn(e.what());
}

}  // namespace

Result<void> create_container(const Context& ctx, const CreateOptions& opts) {
  auto l = HUSK_TRY(launch(ctx, opts, false, false));
  return {};
}

Result<void> start_container(const Context& ctx, const std::string& id) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  switch (live_status(s)) {
    case spec::Status::created:
      break;
    case spec::Status::stopped:
      return fail_code(EINVAL, "cannot start a container that has stopped");
    default:
      return fail_code(EINVAL, "cannot start an already running container");
  }
  HUSK_TRY(wake_init(dir, s));
  if (auto text = dir.load_config_text())
    if (auto config = spec::parse_config(*text)) run_poststart(*config, s, ctx);
  return {};
}

Result<int> run_container(const Context& ctx, const CreateOptions& opts, bool detach, bool keep) {
  std::optional<SignalForwarder> signals;
  if (!detach) signals.emplace(HUSK_TRY(SignalForwarder::install()));
  auto l = HUSK_TRY(launch(ctx, opts, !detach, true));
  if (auto r = release_init(l.start_fd.get(), l.dir, l.state); !r) {
    (void)destroy(l.dir, l.state, ctx, &l.config, l.cgroup ? &*l.cgroup : nullptr);
    return std::unexpected(r.error());
  }
  l.start_fd.reset();
  run_poststart(l.config, l.state, ctx);
  if (detach) return 0;

  if (ctx.log) ctx.log->debug(opts.id + ": started");
  // While the process runs, `kill`, `delete --force`, `exec` and `state`
  // from other commands work on it, as with runc.
  l.dir.unlock();
  auto code = supervise(l.pid, l.master.get(), *signals);
  l.master.reset();
  if (ctx.log) ctx.log->debug(opts.id + ": process exited");
  if (keep) return code;  // stopped now: its state, cgroup and poststop hooks wait for `delete`
  // runc run removes the container once its process is gone, unless a
  // `delete` from elsewhere already did.
  if (auto relocked = l.dir.relock(); !relocked) {
    if (relocked.error().err() == ENOENT) return code;
    return std::unexpected(relocked.error());
  }
  HUSK_TRY(destroy(l.dir, l.state, ctx, &l.config, l.cgroup ? &*l.cgroup : nullptr));
  if (ctx.log) ctx.log->debug(opts.id + ": deleted");
  return code;
}

Result<spec::State> container_state(const Context& ctx, const std::string& id) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  s.status = live_status(s);
  return s;
}

Result<void> kill_container(const Context& ctx, const std::string& id, int signal, bool all) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  auto status = live_status(s);
  if (status == spec::Status::stopped && !all) return fail_code(ESRCH, "container not running");
  if (all) {
    auto cg = HUSK_TRY(cgroup_manager_for(s));
    return cg.signal_all(signal);
  }
  // A pidfd pins the process: the signal cannot reach a recycled pid.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, s.pid, 0)));
  if (!pidfd || !linux::process_alive(s.pid, s.pid_start_time))
    return fail_code(ESRCH, "container not running");
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal, nullptr, 0) < 0) return fail_errno("kill " + id);
  return {};
}

Result<void> delete_container(const Context& ctx, const std::string& id, bool force) {
  StateStore store(ctx.root);
  auto dir = store.open(id);
  if (!dir) {
    if (force && dir.error().err() == ENOENT) return store.remove_stale(id);
    return fail(std::move(dir).error());
  }
  auto s = HUSK_TRY(dir->load_state());
  auto status = live_status(s);
  if ((status == spec::Status::running || status == spec::Status::paused) && !force)
    return fail_code(EBUSY,
                     "cannot delete container " + id + " that is not stopped: " + spec::status_name(status));
  return destroy(*dir, s, ctx);
}

namespace {
Result<void> set_paused(const Context& ctx, const std::string& id, bool pause) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  auto status = live_status(s);
  if (pause && status != spec::Status::running)
    return fail_code(EINVAL, "container " + id + " is not running: " + spec::status_name(status));
  if (!pause && status != spec::Status::paused)
    return fail_code(EINVAL, "container " + id + " is not paused: " + spec::status_name(status));
  auto cg = HUSK_TRY(cgroup_manager_for(s));
  HUSK_TRY(cg.set_frozen(pause));
  s.status = pause ? spec::Status::paused : spec::Status::running;
  return dir.save_state(s);
}
}  // namespace

Result<void> pause_container(const Context& ctx, const std::string& id) { return set_paused(ctx, id, true); }
Result<void> resume_container(const Context& ctx, const std::string& id) {
  return set_paused(ctx, id, false);
}

namespace {
// runc's OWNER column: the name of the user owning the state directory
// (from /etc/passwd; a static binary has no NSS), or "#UID".
std::string owner_name(uid_t uid) {
  if (auto passwd = read_file("/etc/passwd")) {
    for (auto& line : split(*passwd, '\n')) {
      auto f = split(line, ':');
      if (f.size() > 2 && f[2] == std::to_string(uid)) return f[0];
    }
  }
  return "#" + std::to_string(uid);
}
}  // namespace

Result<std::vector<spec::State>> list_containers(const Context& ctx) {
  StateStore store(ctx.root);
  std::vector<spec::State> out;
  for (auto& id : store.list_ids()) {
    auto s = container_state(ctx, id);
    if (!s) continue;
    struct stat st;
    if (::stat((ctx.root + "/" + id).c_str(), &st) == 0) s->owner = owner_name(st.st_uid);
    out.push_back(std::move(*s));
  }
  return out;
}

Result<std::vector<int>> container_pids(const Context& ctx, const std::string& id) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  auto cg = HUSK_TRY(cgroup_manager_for(s));
  return cg.pids();
}

}  // namespace husk::runtime
