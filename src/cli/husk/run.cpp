// `husk run`, `create`, `start`, `restart`: docker's flags onto the engine.
#include <cstdio>
#include <iostream>

#include "cli/husk/commands.hpp"
#include "engine/attach.hpp"
#include "engine/cid_file.hpp"
#include "engine/image_choice.hpp"

namespace husk::cli {

// docker's resource flags: run and create take them, and so does update.
void add_resource_flags(CLI::App* c, engine::ResourceFlags& f) {
  c->add_option("--cpus", f.cpus, "CPUs (0.5: half of one)");
  c->add_option("--cpu-period", f.cpu_period, "CFS period (microseconds)");
  c->add_option("--cpu-quota", f.cpu_quota, "CFS quota (microseconds)");
  c->add_option("-c,--cpu-shares", f.cpu_shares, "relative CPU weight");
  c->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs it may use (0-1)");
  c->add_option("--cpuset-mems", f.cpuset_mems, "memory nodes it may use");
  c->add_option("-m,--memory", f.memory, "memory limit (100m)");
  c->add_option("--memory-swap", f.memory_swap, "memory + swap limit (-1: unlimited swap)");
  c->add_option("--memory-reservation", f.memory_reservation, "memory soft limit");
  c->add_option("--pids-limit", f.pids_limit, "process count limit (-1: unlimited)");
  c->add_option("--blkio-weight", f.blkio_weight, "block IO weight (10-1000)");
}

namespace {

void add_run_flags(CLI::App* c, engine::RunFlags& f) {
  c->set_help_flag("--help", "print this help");  // -h is --hostname, as docker's
  // The container and its process.
  c->add_option("--name", f.name, "the container's name");
  add_multi(c, "-e,--env", f.env, "KEY=VALUE, or KEY to take husk's own value");
  add_multi(c, "--env-file", f.env_files, "a file of KEY=VALUE lines");
  c->add_option("-u,--user", f.user, "user[:group], names from the image");
  c->add_option("-w,--workdir", f.workdir, "working directory");
  c->add_option("-h,--hostname", f.hostname, "hostname (default: the id's first 12 digits)");
  c->add_option("--domainname", f.domainname, "NIS domain name");
  c->add_option("--entrypoint", f.entrypoint, "replaces the image's entrypoint (\"\" clears it)");
  c->add_flag("-t,--tty", f.tty, "a pseudo-terminal for the process");
  c->add_flag("-i,--interactive", f.interactive, "keep its stdin open");
  c->add_option("--detach-keys", f.detach_keys, "the keys that detach from it (default ctrl-p,ctrl-q)");
  c->add_flag("--init", f.init, "a tiny init as PID 1 that reaps zombies and forwards signals");
  add_multi(c, "-l,--label", f.labels, "KEY=VALUE");
  add_multi(c, "--annotation", f.annotations, "KEY=VALUE for the runtime");
  c->add_option("--stop-signal", f.stop_signal,
                "the signal that stops it (default: the image's, else SIGTERM)");
  c->add_option("--stop-timeout", f.stop_timeout, "seconds between the stop signal and SIGKILL (default 10)");
  c->add_option("--log-driver", f.log_driver, "json-file (default) or none");
  add_multi(c, "--log-opt", f.log_opts, "json-file's max-size=10m, max-file=3");
  c->add_option("--restart", f.restart, "restart policy: no, on-failure[:N], always, unless-stopped");
  add_multi(c, "--group-add", f.group_add,
            "another group for the process: a name in the image's /etc/group, or a gid");
  c->add_option("--cidfile", f.cidfile, "write the container's id to this file (which must not exist)");
  // Its healthcheck, over the image's HEALTHCHECK.
  c->add_option("--health-cmd", f.health_cmd, "the command (a shell's) that says whether it is healthy");
  c->add_option("--health-interval", f.health_interval, "time between its runs (default 30s)");
  c->add_option("--health-timeout", f.health_timeout, "longest a run may take (default 30s)");
  c->add_option("--health-start-period", f.health_start_period,
                "time to start in, during which failures do not count (default 0s)");
  c->add_option("--health-retries", f.health_retries, "failures in a row that make it unhealthy (default 3)");
  c->add_flag("--no-healthcheck", f.no_healthcheck, "no healthcheck, not even the image's");
  // The image.
  c->add_option("--pull", f.pull, "pull the image: always, missing (default) or never");
  c->add_option("--platform", f.platform, "os/arch[/variant] of the image (default: this machine's)");
  // Security.
  add_multi(c, "--cap-add", f.cap_add, "add a capability (or ALL)");
  add_multi(c, "--cap-drop", f.cap_drop, "drop a capability (or ALL)");
  c->add_flag("--privileged", f.privileged, "every capability and device, no masked paths");
  add_multi(c, "--security-opt", f.security_opt, "no-new-privileges, seccomp=FILE|unconfined");
  add_multi(c, "--ulimit", f.ulimits, "NAME=SOFT[:HARD]");
  add_multi(c, "--sysctl", f.sysctls, "KEY=VALUE");
  add_multi(c, "--device", f.devices, "HOST[:CONTAINER[:rwm]]");
  c->add_option("--oom-score-adj", f.oom_score_adj, "the process's OOM score adjustment");
  // Storage.
  add_multi(c, "-v,--volume", f.volumes, "HOST:CTR[:ro], NAME:CTR[:ro] or CTR");
  add_multi(c, "--tmpfs", f.tmpfs, "DIR[:OPTIONS]");
  add_multi(c, "--mount", f.mounts, "type=bind|volume|tmpfs,source=..,target=..[,readonly]");
  c->add_flag("--read-only", f.read_only, "a read-only root");
  add_multi(c, "--volumes-from", f.volumes_from,
            "CONTAINER[:ro|:rw]: its volumes and binds, at the same places");
  c->add_option("--shm-size", f.shm_size, "the size of /dev/shm (default 64m)");
  // Names and ports.
  add_multi(c, "--add-host", f.add_hosts, "NAME:IP in /etc/hosts (IP host-gateway: the bridge's gateway)");
  add_multi(c, "--dns", f.dns, "a nameserver for /etc/resolv.conf");
  add_multi(c, "--dns-search", f.dns_search, "a search domain for /etc/resolv.conf");
  add_multi(c, "--dns-option", f.dns_options, "an option for /etc/resolv.conf");
  add_multi(c, "-p,--publish", f.publish,
            "[[IP:][HOSTPORT]:]PORT[/PROTO]: the host's port to the container's");
  c->add_flag("-P,--publish-all", f.publish_all, "every exposed port to a free host port");
  add_multi(c, "--expose", f.expose, "PORT[/PROTO] or a range: exposed (what -P publishes)");
  // Resources.
  add_resource_flags(c, f.resources);
  add_multi(c, "--device-read-bps", f.resources.device_read_bps, "DEVICE:RATE (1mb)");
  add_multi(c, "--device-write-bps", f.resources.device_write_bps, "DEVICE:RATE (1mb)");
  add_multi(c, "--device-read-iops", f.resources.device_read_iops, "DEVICE:IOPS");
  add_multi(c, "--device-write-iops", f.resources.device_write_iops, "DEVICE:IOPS");
  c->add_flag("--oom-kill-disable", f.resources.oom_kill_disable, "no OOM killer for it");
  // Namespaces.
  c->add_option("--ipc", f.ipc, "private|shareable|host|container:NAME");
  c->add_option("--pid", f.pid, "host|container:NAME");
  c->add_option("--uts", f.uts, "host");
  add_multi(c, "--network,--net", f.more_networks,
            "bridge (default)|none|host|container:NAME|NAME (a network of `husk network create`); more "
            "than one: several networks");
  c->add_option("--ip", f.ip, "the address on the first network (one with a --subnet)");
  c->add_option("--mac-address", f.mac_address, "the MAC address on the first network");
  add_multi(c, "--network-alias", f.network_aliases, "another name on the first (user-defined) network");
  c->add_option("--userns", f.userns, "host|remap|auto");
  c->add_option("--cgroupns", f.cgroupns, "private|host");
  c->add_option("--time-offset", f.time_offset, "boottime=SECONDS,monotonic=SECONDS (a time namespace)");
  c->add_option("image", f.image, "image name or id")->required();
  c->prefix_command();
  c->footer("Everything after IMAGE is the container's command.");
}

// husk's own failures are docker's 125 (or 126/127 for a command that could
// not start: see exit_code_for).
int run_failed(const Error& e) {
  std::fprintf(stderr, "husk: %s\n", e.what().c_str());
  return engine::exit_code_for(e);
}

Result<int> with_run_exit_code(Result<int> r) { return r ? r : run_failed(r.error()); }

// start and restart fail as docker's do, with 1; but as run, with 126/127
// for a command that cannot start.
int start_failed(const Error& e) {
  int code = run_failed(e);
  return code == 125 ? 1 : code;
}

// Before the first of NAMES starts: a re-exec repeats the whole command.
Result<void> protect_binary_for_all(const engine::Engine& eng, const std::vector<std::string>& names) {
  for (auto& n : names)
    if (auto rec = eng.containers().find(n)) HUSK_TRY(engine::protect_binary_for(rec->flags));
  return {};
}

// The container F describes, made; the engine's warnings printed as docker's.
Result<engine::ContainerRecord> create_record(const engine::Engine& eng, const engine::RunFlags& f) {
  std::vector<std::string> warnings;
  auto rec = eng.create(f, warnings);
  for (auto& w : warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
  return rec;
}

// The container F describes, made, and its id in --cidfile's file. Checked
// first as docker's CLI does: --pull's value, then the file.
Result<engine::ContainerRecord> create_with_cidfile(const engine::Engine& eng, const engine::RunFlags& f) {
  HUSK_TRY(engine::parse_pull_policy(f.pull));
  auto cidfile = HUSK_TRY(engine::ContainerIdFile::claim(f.cidfile));
  auto rec = HUSK_TRY(create_record(eng, f));
  HUSK_TRY(cidfile.write(rec.id));
  return rec;
}

Result<int> run(const Context& ctx, const engine::RunFlags& f) {
  HUSK_TRY(engine::parse_detach_keys(f.detach_keys));  // before anything is made
  auto streams = HUSK_TRY(engine::parse_attach_streams(f.attach));
  if (f.detach && !f.attach.empty())
    return fail(Error(EINVAL, "Conflicting options: -a and -d", false, ErrorKind::invalid_argument));
  HUSK_TRY(engine::protect_binary_for(f));
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(create_with_cidfile(eng, f));
  if (!f.detach) return eng.run_attached(rec, f.interactive, streams, f.sig_proxy);
  HUSK_TRY(eng.start_detached(rec));
  std::cout << rec.id << "\n";
  return 0;
}

Result<int> create(const Context& ctx, const engine::RunFlags& f) {
  HUSK_TRY(engine::parse_detach_keys(f.detach_keys));
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(create_with_cidfile(eng, f));
  std::cout << rec.id << "\n";
  return 0;
}

// docker start: a created or exited container runs again, in the background
// unless -a attaches to it. A running one is left as it is.
Result<int> start(const Context& ctx, const std::vector<std::string>& names, bool attach, bool interactive) {
  auto eng = HUSK_TRY(open_engine(ctx));
  HUSK_TRY(protect_binary_for_all(eng, names));
  for (auto& n : names) {
    auto rec = HUSK_TRY(eng.containers().find(n));
    auto st = eng.live_status(rec);
    if (st == engine::LiveStatus::running || st == engine::LiveStatus::paused) {
      if (attach) return engine::attach_to(eng, n, interactive, "");
      std::cout << n << "\n";
      continue;
    }
    if (attach) {
      auto ran = eng.run_attached(rec, interactive && rec.flags.interactive);
      return ran ? ran : start_failed(ran.error());
    }
    if (auto started = eng.start_detached(rec); !started) return start_failed(started.error());
    std::cout << n << "\n";
  }
  return 0;
}

// start --restart-policies: what a boot service runs (contrib/husk-restart.service).
// Each one is tried; the first failure is the exit code, after all.
Result<int> start_restartable(const Context& ctx) {
  auto eng = HUSK_TRY(open_engine(ctx));
  int code = 0;
  for (auto& rec : HUSK_TRY(eng.restartable_at_boot())) {
    if (auto p = engine::protect_binary_for(rec.flags); !p) return fail(std::move(p).error());
    if (auto started = eng.start_detached(rec); !started) {
      std::fprintf(stderr, "husk: start %s: %s\n", rec.name.c_str(), started.error().what().c_str());
      if (code == 0) code = start_failed(started.error());
      continue;
    }
    std::cout << rec.name << "\n";
  }
  return code;
}

Result<int> restart(const Context& ctx, const std::vector<std::string>& names, std::optional<int> timeout) {
  auto eng = HUSK_TRY(open_engine(ctx));
  HUSK_TRY(protect_binary_for_all(eng, names));
  for (auto& n : names) {
    HUSK_TRY(eng.stop(n, timeout));
    auto rec = HUSK_TRY(eng.containers().find(n));
    if (auto started = eng.start_detached(rec); !started) return start_failed(started.error());
    std::cout << n << "\n";
  }
  return 0;
}

}  // namespace

size_t command_at(const CLI::App& app, const std::vector<std::string>& args) {
  size_t i = 0;
  while (i < args.size() && args[i].starts_with("-")) {
    const CLI::Option* o = app.get_option_no_throw(args[i].substr(0, args[i].find('=')));
    i += o && o->get_expected_max() != 0 && args[i].find('=') == std::string::npos ? 2 : 1;
  }
  return i;
}

Result<size_t> find_run_image(const CLI::App& app, const std::vector<std::string>& args) {
  size_t i = command_at(app, args);
  // Those whose first operand (IMAGE, or exec's and top's CONTAINER) ends their flags.
  static constexpr std::string_view kTakeCommand[] = {"run", "create", "exec", "top"};
  if (i >= args.size() ||
      std::find(std::begin(kTakeCommand), std::end(kTakeCommand), args[i]) == std::end(kTakeCommand))
    return args.size();
  const CLI::App* c = app.get_subcommand(args[i]);
  for (++i; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1 < args.size() ? i + 1 : args.size();
    if (a.size() < 2 || a[0] != '-') return i;  // IMAGE: the rest is the command's
    if (a.starts_with("--")) {
      std::string name = a.substr(0, a.find('='));
      const CLI::Option* o = c->get_option_no_throw(name);
      if (!o)
        return fail_code(EINVAL, "unknown flag: " + name + "\nSee 'husk " + c->get_name() + " --help'.");
      if (o->get_expected_max() != 0 && a.find('=') == std::string::npos) ++i;  // its value
      continue;
    }
    // -it, -e K=V, -eK=V: short flags may share one argument.
    for (size_t k = 1; k < a.size(); ++k) {
      const CLI::Option* o = c->get_option_no_throw(std::string{'-', a[k]});
      if (!o)
        return fail_code(EINVAL, std::string("unknown shorthand flag: '") + a[k] + "' in " + a +
                                     "\nSee 'husk " + c->get_name() + " --help'.");
      if (o->get_expected_max() != 0) {
        if (k + 1 == a.size()) ++i;  // the value is the next argument
        break;
      }
    }
  }
  return args.size();
}

// --network given more than once: the first is the namespace's mode.
void take_networks(engine::RunFlags& f) {
  if (f.more_networks.empty()) return;
  f.network = f.more_networks.front();
  f.more_networks.erase(f.more_networks.begin());
}

void add_run(CLI::App& app, Invocation& inv) {
  auto f = std::make_shared<engine::RunFlags>();
  auto* c = app.add_subcommand("run", "run a command in a new container");
  c->add_flag("--rm", f->rm, "remove the container when it exits");
  c->add_flag("-d,--detach", f->detach, "run in the background; print the id");
  add_multi(c, "-a,--attach", f->attach, "show only these streams: stdin, stdout, stderr");
  c->add_flag("--sig-proxy", f->sig_proxy,
              "the signals husk gets go to the container (default true; =false: they stop husk, not it)");
  add_run_flags(c, *f);
  c->callback([f, &inv] {
    f->command = inv.command;
    take_networks(*f);
    inv.action = [f](const Context& ctx) -> Result<int> { return with_run_exit_code(run(ctx, *f)); };
  });
}

void add_create(CLI::App& app, Invocation& inv) {
  auto f = std::make_shared<engine::RunFlags>();
  auto* c = app.add_subcommand("create", "create a container (start runs it)");
  c->add_flag("--rm", f->rm, "remove the container when it exits");
  add_run_flags(c, *f);
  c->callback([f, &inv] {
    f->command = inv.command;
    take_networks(*f);
    inv.action = [f](const Context& ctx) -> Result<int> { return with_run_exit_code(create(ctx, *f)); };
  });
}

void add_start(CLI::App& app, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    bool attach = false, interactive = false, restart_policies = false;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("start", "start created or stopped containers");
  c->add_flag("-a,--attach", o->attach, "stay attached: its output, then its exit code");
  c->add_flag("-i,--interactive", o->interactive, "attach its stdin");
  c->add_flag("--restart-policies", o->restart_policies,
              "start the containers whose restart policy brings them back at boot (always, unless-stopped)");
  c->add_option("container", o->names, "names or ids");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) {
      if (o->restart_policies) {
        if (!o->names.empty() || o->attach)
          return Result<int>(fail_code(EINVAL, "start --restart-policies takes no container and no -a"));
        return start_restartable(ctx);
      }
      if (o->names.empty()) return Result<int>(fail_code(EINVAL, "\"start\" requires at least 1 argument"));
      if (o->attach && o->names.size() > 1)
        return Result<int>(fail_code(EINVAL, "start -a takes one container"));
      return start(ctx, o->names, o->attach || o->interactive, o->interactive);
    };
  });
}

void add_restart(CLI::App& app, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::optional<int> timeout;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("restart", "stop, then start containers");
  c->add_option("-t,--time", o->timeout, "seconds to wait before SIGKILL");
  c->add_option("container", o->names, "names or ids")->required();
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return restart(ctx, o->names, o->timeout); }; });
}

}  // namespace husk::cli
