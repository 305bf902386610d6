#include "engine/engine.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

#include "base/fault.hpp"
#include "base/file.hpp"
#include "base/time.hpp"
#include "engine/attach.hpp"
#include "engine/container_config.hpp"
#include "engine/env.hpp"
#include "engine/etc_files.hpp"
#include "engine/health.hpp"
#include "engine/launcher.hpp"
#include "engine/log_config.hpp"
#include "engine/network.hpp"
#include "engine/ports.hpp"
#include "engine/resources.hpp"
#include "engine/restart.hpp"
#include "engine/security.hpp"
#include "engine/spec.hpp"
#include "engine/userns.hpp"
#include "engine/volumes.hpp"
#include "image/bundle.hpp"
#include "image/overlay.hpp"
#include "linux/self_exe.hpp"
#include "linux/signals.hpp"
#include "runtime/container.hpp"

namespace husk::engine {

std::string_view to_string(LiveStatus s) {
  switch (s) {
    case LiveStatus::created:
      return "created";
    case LiveStatus::running:
      return "running";
    case LiveStatus::paused:
      return "paused";
    case LiveStatus::exited:
      return "exited";
    case LiveStatus::lost:
      return "exited";
  }
  return "unknown";
}

int exit_code_for(const Error& e) { return husk::exit_code_for(e.kind(), 125); }

Result<Engine> Engine::open(const std::string& root, const std::string& run_root, ImageFetcher fetch,
                            std::string config) {
  return Engine(HUSK_TRY(image::Store::open(root)), run_root, std::move(fetch), std::move(config));
}

bool needs_protected_binary(const RunFlags& f) {
  if (f.pid == "host" || f.pid.starts_with("container:")) return true;
  if (f.userns == "remap" || f.userns == "auto") return false;
  if (f.privileged) return true;
  for (auto& c : f.cap_add) {
    auto name = normalize_capability(c);
    if (name && (*name == "ALL" || *name == "CAP_SYS_PTRACE")) return true;
  }
  return false;
}

Result<void> protect_binary_for(const RunFlags& f) {
  if (needs_protected_binary(f)) HUSK_TRY(linux::ensure_protected_self_exe());
  return {};
}

runtime::Context Engine::runtime_context() const {
  runtime::Context rctx;
  rctx.root = run_root_;
  return rctx;
}

int Engine::stop_signal(const ContainerRecord& rec) const {
  if (!rec.flags.stop_signal.empty())
    if (auto s = linux::signal_from_string(rec.flags.stop_signal)) return *s;
  return SIGTERM;
}

Result<ContainerRecord> Engine::create(const RunFlags& in, std::vector<std::string>& warnings) const {
  RunFlags flags = in;
  if (!flags.workdir.empty() && flags.workdir[0] != '/')
    return fail(Error(EINVAL, "the working directory '" + flags.workdir + "' is invalid, it needs to be an absolute path",
                      false, ErrorKind::invalid_argument));
  auto policy = HUSK_TRY(parse_restart_policy(flags.restart));
  if (policy.kind != RestartPolicy::Kind::no && flags.rm)
    return fail(Error(EINVAL, "Conflicting options: --restart and --rm", false, ErrorKind::invalid_argument));
  if (!flags.stop_signal.empty() && !linux::signal_from_string(flags.stop_signal))
    return fail_code(EINVAL, "invalid --stop-signal \"" + flags.stop_signal + "\"");
  HUSK_TRY(parse_log_config(flags.log_driver, flags.log_opts));
  HUSK_TRY(container_healthcheck(flags, std::nullopt));  // its flags checked before a pull
  auto img = HUSK_TRY(choose_image(store_, fetch_, flags, warnings));
  if (flags.stop_signal.empty()) flags.stop_signal = img.config.config.stop_signal;
  std::string exe = HUSK_TRY(installed_exe());
  ContainerStore cs = containers();
  ContainerOptions bo;
  if (!flags.command.empty()) bo.command = flags.command;
  if (flags.entrypoint) {
    bo.entrypoint =
        flags.entrypoint->empty() ? std::vector<std::string>{} : std::vector<std::string>{*flags.entrypoint};
  }
  bo.env = HUSK_TRY(resolve_env(flags.env_files, flags.env, process_env()));
  bo.user = flags.user;
  bo.group_add = flags.group_add;
  bo.workdir = flags.workdir;
  bo.terminal = flags.tty;
  ContainerRecord rec;
  rec.name = flags.name;
  rec.image = flags.image;
  rec.image_id = img.id().str();
  rec.command = HUSK_TRY(container_args(img.config.config, bo));
  rec.created = now_rfc3339();
  rec.auto_remove = flags.rm;
  rec.flags = flags;
  rec.nano_cpus = parse_nano_cpus(flags.resources.cpus).value_or(0) > 0;
  rec.exposed_ports = HUSK_TRY(exposed_ports(img.config.config.exposed_ports, flags.expose, flags.publish));
  rec.healthcheck = HUSK_TRY(container_healthcheck(flags, img.config.config.healthcheck));
  std::optional<net::Ipv4> nameserver;
  rec.networks = HUSK_TRY(plan_networks(flags, &nameserver));
  NetworkStore nets = networks();
  auto defaults = HUSK_TRY(nets.defaults());
  auto created = HUSK_TRY(cs.create(rec, [&](const ContainerRecord& r) -> Result<void> {
    bo.id = r.id;
    auto maps = HUSK_TRY(plan_user_namespace(flags, store_.root()));
    bo.hostname = flags.hostname.empty() ? r.id.substr(0, 12) : flags.hostname;
    SpecContext sctx;
    sctx.id = r.id;
    sctx.container_dir = cs.dir(r.id);
    sctx.store_root = store_.root();
    sctx.husk_binary = exe;
    sctx.run_root = run_root_;
    sctx.container_pid = [this](const std::string& name) { return init_pid(name); };
    std::vector<std::function<void()>> undo;  // volumes and host dirs the flags made
    sctx.undo = &undo;
    sctx.warnings = &warnings;
    sctx.find_container = [&cs](const std::string& name) { return cs.find(name); };
    sctx.image_volumes = img.config.config.volumes;
    sctx.uid_map = maps.uids;
    sctx.gid_map = maps.gids;
    sctx.host_gateway = [&nets]() -> Result<net::Ipv4> { return HUSK_TRY(nets.default_bridge()).gateway; };
    sctx.nameserver = nameserver;
    sctx.default_dns = defaults.dns;
    bo.customize = [&](spec::Config& spec, const std::string& rootfs) {
      sctx.rootfs = rootfs;
      return apply_flags(sctx, flags, spec);
    };
    image::BundleOptions root;
    root.id = r.id;
    root.uid_map = maps.uids;
    root.gid_map = maps.gids;
    root.config = [&](const std::string& bundle) { return make_config(img, bundle, bo); };
    auto made = image::create_bundle(store_, img, cs.bundle_dir(r.id), root);
    if (!made)
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
    return made;
  }));
  record_event(created, "create");
  return created;
}

void Engine::record_event(const ContainerRecord& rec, std::string_view action,
                          std::map<std::string, std::string> extra) const {
  events().record(container_event(action, rec.id, rec.image, rec.name, rec.flags.labels, std::move(extra)));
}

Result<void> Engine::remount(const ContainerRecord& rec) const {
  std::string bundle = containers().bundle_dir(rec.id);
  if (HUSK_TRY(image::bundle_mounted(bundle))) return {};  // a first start: create mounted it
  auto img = HUSK_TRY(store_.find_image(rec.image_id));
  // A --userns container's root is id-mapped as its config says.
  auto maps = HUSK_TRY(bundle_user_maps(bundle + "/config.json"));
  return image::remount_bundle(store_, img, rec.id, bundle, maps.uids, maps.gids);
}

Result<void> Engine::rejoin(const ContainerRecord& rec) const {
  const RunFlags& f = rec.flags;
  auto joins = [](const std::string& mode) { return mode.starts_with("container:"); };
  if (!joins(f.ipc) && !joins(f.pid) && !joins(f.network)) return {};
  std::string path = containers().bundle_dir(rec.id) + "/config.json";
  auto spec = HUSK_TRY(spec::load_config(path));
  ContainerStore cs = containers();
  SpecContext sctx;
  sctx.id = rec.id;
  sctx.store_root = store_.root();
  sctx.container_pid = [this](const std::string& name) { return init_pid(name); };
  sctx.find_container = [&cs](const std::string& name) { return cs.find(name); };
  HUSK_TRY(rejoin_namespaces(sctx, f, spec));
  return write_file_atomic(path, spec::serialize_config(spec), 0644);
}

Result<ContainerRecord> Engine::begin_run(ContainerRecord rec) const {
  HUSK_TRY(rejoin(rec));
  HUSK_TRY(remount(rec));
  // A run whose monitor died (or whose /run was lost) may have left the
  // runtime's state of a container that has stopped.
  auto rctx = runtime_context();
  if (auto s = runtime::container_state(rctx, rec.id); s && s->status == spec::Status::stopped)
    HUSK_TRY(runtime::delete_container(rctx, rec.id, true));
  NetworkStore nets = networks();
  auto endpoints = HUSK_TRY(attach_networks(nets, run_root_, rec, containers().dir(rec.id)));
  // /etc/hosts names the container's address of this start.
  auto host_gateway = [&nets]() -> Result<net::Ipv4> { return HUSK_TRY(nets.default_bridge()).gateway; };
  auto hosts =
      rewrite_hosts(containers().dir(rec.id), rec.flags,
                    endpoints.empty() ? std::nullopt : std::optional(endpoints[0].address), host_gateway);
  if (!hosts) {
    (void)detach_networks(run_root_, rec.id);
    return fail(std::move(hosts).error());
  }
  rec.status = "running";
  rec.manually_stopped = false;
  rec.started = now_rfc3339();
  rec.finished.clear();
  rec.error.clear();
  rec.oom_killed = false;
  if (health_active(rec.healthcheck)) HUSK_TRY(health_started(containers().dir(rec.id)));
  HUSK_TRY(containers().save(rec));
  fault_point(Fault::engine_run_record);
  return rec;
}

Result<Trash> Engine::end_run(const ContainerRecord& ran, int code, const std::string& error,
                              bool oom_killed) const {
  ContainerStore cs = containers();
  // The record as it is now (a rename may have happened meanwhile).
  auto now = cs.find(ran.id);
  if (!now) return Trash();  // `rm -f` from elsewhere took it
  ContainerRecord rec = *now;
  HUSK_TRY(detach_networks(run_root_, rec.id));
  rec.status = "exited";
  rec.finished = now_rfc3339();
  rec.exit_code = code;
  rec.error = error;
  rec.oom_killed = oom_killed;
  if (health_active(rec.healthcheck)) (void)health_stopped(cs.dir(rec.id));
  if (oom_killed) record_event(rec, "oom");
  record_event(rec, "die", {{"exitCode", std::to_string(code)}});
  Trash trash;
  if (rec.auto_remove) {
    HUSK_TRY(remove_with_volumes(rec.id, true, &trash));
    return trash;
  }
  // An exited container keeps its upper dir, not its mount.
  HUSK_TRY(image::unmount_overlay(cs.bundle_dir(rec.id) + "/rootfs"));
  HUSK_TRY(cs.save(rec));
  return trash;
}

Result<AttachStreams> parse_attach_streams(const std::vector<std::string>& names) {
  if (names.empty()) return AttachStreams{};
  AttachStreams s{false, false, false};
  for (auto& n : names) {
    std::string v = n;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "stdin")
      s.stdin_ = true;
    else if (v == "stdout")
      s.stdout_ = true;
    else if (v == "stderr")
      s.stderr_ = true;
    else
      return fail(Error(EINVAL,
                        "invalid argument \"" + n + "\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR",
                        false, ErrorKind::invalid_argument));
  }
  return s;
}

// The foreground run: a monitor runs it (so its output is logged and its
// end recorded even when we are killed, and detaching leaves it running)
// and starts it once we are attached, so none of its output is lost. We
// relay: its output to ours, our stdin to it with -i, and, without a
// terminal, the signals we get to it (docker's --sig-proxy).
Result<int> Engine::run_attached(ContainerRecord rec, bool attach_stdin, const AttachStreams& streams,
                                 bool sig_proxy) const {
  AttachOptions ao;
  ao.tty = rec.flags.tty;
  ao.attach_stdin = attach_stdin && streams.stdin_;
  ao.stdin_once = ao.attach_stdin;
  ao.show_stdout = streams.stdout_;
  ao.show_stderr = streams.stderr_;
  ao.detach_keys = HUSK_TRY(parse_detach_keys(rec.flags.detach_keys));
  std::string id = rec.id;
  if (!rec.flags.tty && sig_proxy) ao.forward_signal = [this, id](int sig) { (void)kill(id, sig); };
  // The last run's recorder may still be finishing after writing its end.
  (void)containers().await_recorder(rec.id, 10000);
  auto launch = HUSK_TRY(spawn_launcher(*this, rec, LaunchOptions{.wait_attach = true}));
  HUSK_TRY(launch.wait_for("ready"));
  record_event(rec, "attach");  // before the launcher can start it (and write "start")
  auto sock = HUSK_TRY(connect_attach(containers().dir(rec.id), ao));
  HUSK_TRY(launch.wait_for("started"));
  return attach_result(*this, rec.id, attach_session(sock.get(), ao));
}

Result<void> Engine::start_detached(const ContainerRecord& rec) const {
  // The last run's recorder (its monitor) writes the end, then exits: a
  // start right after a stop (restart, `stop && start`) waits for it to go,
  // or the new run would find the run still held.
  (void)containers().await_recorder(rec.id, 10000);
  auto launch = HUSK_TRY(spawn_launcher(*this, rec, LaunchOptions{}));
  fault_point(Fault::engine_run_monitor);
  return launch.wait_for("started");
}

LiveStatus Engine::live_status(const ContainerRecord& rec) const {
  if (rec.status == "created") return LiveStatus::created;
  if (rec.status == "dead") return LiveStatus::lost;
  if (rec.status != "running") return LiveStatus::exited;
  auto s = runtime::container_state(runtime_context(), rec.id);
  if (!s) return LiveStatus::lost;  // a husk that died, or /run lost (a reboot)
  switch (s->status) {
    case spec::Status::paused:
      return LiveStatus::paused;
    case spec::Status::stopped:
      return LiveStatus::lost;
    default:
      return LiveStatus::running;
  }
}

Result<pid_t> Engine::init_pid(const std::string& name_or_id) const {
  auto rec = HUSK_TRY(containers().find(name_or_id));
  auto st = live_status(rec);
  if (st != LiveStatus::running && st != LiveStatus::paused)
    return fail_code(EINVAL, "container " + rec.name + " is not running");
  auto s = HUSK_TRY(runtime::container_state(runtime_context(), rec.id));
  return static_cast<pid_t>(s.pid);
}

Result<int> Engine::wait(const std::string& name_or_id, int timeout_ms) const {
  ContainerStore cs = containers();
  std::string id = HUSK_TRY(cs.find(name_or_id)).id;
  for (int waited = 0; timeout_ms < 0 || waited < timeout_ms; waited += 20) {
    auto r = cs.find(id);
    if (!r) {
      // --rm: removed as it exited; its code went with it.
      if (r.error().err() == ENOENT) return 0;
      return fail(std::move(r).error());
    }
    auto st = live_status(*r);
    if (st == LiveStatus::exited || st == LiveStatus::created) return r->exit_code;
    if (st == LiveStatus::lost) {
      // Whoever ran it (a monitor, a foreground husk) may be recording the
      // end right now: the runtime's state goes first, the record last.
      // Once its recorder lock is free, a record still "running" has lost
      // its recorder (killed, or a reboot).
      (void)cs.await_recorder(id, 10000);
      auto again = cs.find(id);
      if (!again) continue;
      if (again->status == "exited") return again->exit_code;
      if (live_status(*again) == LiveStatus::lost && cs.await_recorder(id, 0))
        return fail_code(EIO, "container " + r->name + " ended without a recorded exit code");
      continue;
    }
    ::usleep(20000);
  }
  return fail_code(ETIMEDOUT, "container " + name_or_id + " still runs");
}

Result<void> Engine::kill(const std::string& name_or_id, int signal) const {
  auto rec = HUSK_TRY(containers().find(name_or_id));
  auto st = live_status(rec);
  if (st != LiveStatus::running && st != LiveStatus::paused)
    return fail_code(EINVAL, "cannot kill container " + rec.name + ": it is not running");
  HUSK_TRY(mark_stopped_by_user(rec));
  // Written before it is sent, so the die its monitor writes comes after.
  record_event(rec, "kill", {{"signal", std::to_string(signal)}});
  return runtime::kill_container(runtime_context(), rec.id, signal, false);
}

Result<void> Engine::pause(const std::string& name_or_id) const {
  auto rec = HUSK_TRY(containers().find(name_or_id));
  if (live_status(rec) != LiveStatus::running)
    return fail_code(EINVAL, "container " + rec.name + " is not running");
  HUSK_TRY(runtime::pause_container(runtime_context(), rec.id));
  record_event(rec, "pause");
  return {};
}

Result<void> Engine::unpause(const std::string& name_or_id) const {
  auto rec = HUSK_TRY(containers().find(name_or_id));
  if (live_status(rec) != LiveStatus::paused)
    return fail_code(EINVAL, "container " + rec.name + " is not paused");
  HUSK_TRY(runtime::resume_container(runtime_context(), rec.id));
  record_event(rec, "unpause");
  return {};
}

Result<std::vector<int>> Engine::pids(const std::string& name_or_id) const {
  auto rec = HUSK_TRY(containers().find(name_or_id));
  auto live = live_status(rec);
  if (live != LiveStatus::running && live != LiveStatus::paused)
    return fail_code(EINVAL, "container " + rec.name + " is not running");
  return runtime::container_pids(runtime_context(), rec.id);
}

Result<std::vector<ContainerRecord>> Engine::restartable_at_boot() const {
  std::vector<ContainerRecord> out;
  for (auto& rec : HUSK_TRY(containers().list())) {
    auto policy = parse_restart_policy(rec.flags.restart).value_or(RestartPolicy{});
    bool wanted = policy.kind == RestartPolicy::Kind::always ||
                  (policy.kind == RestartPolicy::Kind::unless_stopped && !rec.manually_stopped);
    auto st = live_status(rec);
    if (wanted && st != LiveStatus::running && st != LiveStatus::paused) out.push_back(rec);
  }
  return out;
}

Result<void> Engine::mark_stopped_by_user(ContainerRecord& rec) const {
  if (rec.manually_stopped || parse_restart_policy(rec.flags.restart).value_or(RestartPolicy{}).kind ==
                                  RestartPolicy::Kind::no)
    return {};
  rec.manually_stopped = true;
  return containers().save(rec);
}

Result<void> Engine::stop(const std::string& name_or_id, std::optional<int> timeout) const {
  auto rec = HUSK_TRY(containers().find(name_or_id));
  // Its restart policy is done (also while it waits to be restarted).
  HUSK_TRY(mark_stopped_by_user(rec));
  // A monitor waiting out its back-off sees that and gives up within 50 ms;
  // one that had just begun the restart has the container running: stopped below.
  std::string dir = containers().dir(rec.id);
  for (int waited = 0; waited < 2000 && waiting_to_restart(dir); waited += 10) ::usleep(10000);
  rec = HUSK_TRY(containers().find(rec.id));
  HUSK_TRY(mark_stopped_by_user(rec));  // that start cleared it
  auto st = live_status(rec);
  if (st != LiveStatus::running && st != LiveStatus::paused) return {};
  int secs = timeout ? *timeout : rec.flags.stop_timeout ? *rec.flags.stop_timeout : 10;
  auto rctx = runtime_context();
  if (st == LiveStatus::paused) (void)runtime::resume_container(rctx, rec.id);
  // A kill that fails for a container that exited meanwhile is no failure;
  // one that fails for a container still running is the stop's.
  auto still_runs = [&] {
    auto now = containers().find(rec.id);
    return now && live_status(*now) == LiveStatus::running;
  };
  // Each kill's event before it is sent, so the die its monitor writes comes after.
  record_event(rec, "kill", {{"signal", std::to_string(stop_signal(rec))}});
  if (auto signalled = runtime::kill_container(rctx, rec.id, stop_signal(rec), false);
      !signalled && still_runs())
    return fail(std::move(signalled).error().context("stop " + rec.name));
  auto done = wait(rec.id, secs * 1000);
  if (!done && done.error().err() == ETIMEDOUT) {
    record_event(rec, "kill", {{"signal", std::to_string(SIGKILL)}});
    auto killed = runtime::kill_container(rctx, rec.id, SIGKILL, false);
    done = wait(rec.id, 10000);
    if (!done && !killed) return fail(std::move(killed).error().context("stop " + rec.name));
  }
  // EIO: it stopped, but its recorder (a monitor) had died: nobody recorded how.
  if (!done && done.error().err() != EIO) return fail(std::move(done).error());
  record_event(rec, "stop");
  return {};
}

Result<void> Engine::remove(const std::string& name_or_id, bool force, bool volumes) const {
  ContainerStore cs = containers();
  auto rec = HUSK_TRY(cs.find(name_or_id));
  auto st = live_status(rec);
  if (!force && st == LiveStatus::exited && waiting_to_restart(cs.dir(rec.id)))
    return fail_code(EBUSY,
                     "cannot remove container " + rec.name + ": it is restarting (stop it first, or use -f)");
  // Its restart policy must not bring it back while it goes.
  if (force) HUSK_TRY(mark_stopped_by_user(rec));
  if (st == LiveStatus::running || st == LiveStatus::paused) {
    if (!force)
      return fail_code(EBUSY, "cannot remove container " + rec.name + ": it is " +
                                  std::string(to_string(st)) + " (stop it first, or use -f)");
    HUSK_TRY(runtime::delete_container(runtime_context(), rec.id, true));
  } else if (st == LiveStatus::lost) {
    (void)runtime::delete_container(runtime_context(), rec.id, true);
  }
  fault_point(Fault::engine_rm_runtime);
  // Its recorder (a monitor, a foreground husk) writes the end into the
  // container's directory: let it finish first (docker's rm -f waits too).
  if (st != LiveStatus::exited && st != LiveStatus::created) {
    (void)cs.await_recorder(rec.id, 10000);
    auto now = cs.find(rec.id);
    if (!now && now.error().err() == ENOENT) return {};  // --rm took it
  }
  // A container whose end nobody recorded still holds its network.
  HUSK_TRY(detach_networks(run_root_, rec.id));
  return remove_with_volumes(rec.id, volumes);
}

// The container's files and, with VOLUMES (rm -v, --rm), the anonymous
// volumes no other container uses (docker keeps named ones).
Result<void> Engine::remove_with_volumes(const std::string& id, bool volumes, Trash* trash) const {
  VolumeStore vs(store_.root());
  auto anonymous = volumes ? vs.anonymous_of(id) : std::vector<std::string>{};
  ContainerStore cs = containers();
  auto gone = cs.find(id);
  // Its bundle is inside its directory; a create or rm that died half-way
  // may have left it without a bundle, a mount or a record.
  HUSK_TRY(image::unmount_overlay(cs.bundle_dir(id) + "/rootfs"));
  if (!trash) {
    fault_point(Fault::engine_rm_unmounted);
    HUSK_TRY(remove_all(cs.dir(id)));
  } else {
    std::string path = store_.root() + "/tmp/removed-" + id;
    if (::rename(cs.dir(id).c_str(), path.c_str()) < 0) return fail_errno("remove container " + id);
    *trash = Trash(store_, std::move(path));
  }
  vs.remove_unused_anonymous(anonymous);
  if (gone) record_event(*gone, "destroy");
  return {};
}

void Trash::empty() {
  if (path_.empty()) return;
  auto lock = store_->lock_content_shared();
  (void)remove_all(path_);
  path_.clear();
}

}  // namespace husk::engine
