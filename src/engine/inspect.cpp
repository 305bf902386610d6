#include "engine/inspect.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/health.hpp"
#include "engine/logs.hpp"
#include "engine/namespaces.hpp"
#include "engine/network.hpp"
#include "engine/ports.hpp"
#include "engine/restart.hpp"
#include "runtime/container.hpp"
#include "spec/config.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// docker's zero time, for what has not happened yet.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

json time_or_zero(const std::string& t) { return t.empty() ? std::string(kZeroTime) : t; }

json strings_or_null(const std::vector<std::string>& v) { return v.empty() ? json(nullptr) : json(v); }

// "K=V" flags into a map (a bare K is "").
json pairs(const std::vector<std::string>& kvs) {
  json out = json::object();
  for (auto& kv : kvs) {
    auto eq = kv.find('=');
    out[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return out;
}

// The image's labels under --label's.
std::map<std::string, std::string> labels_over(std::map<std::string, std::string> labels,
                                               const std::vector<std::string>& asked) {
  json kvs = pairs(asked);
  for (auto& [k, v] : kvs.items()) labels[k] = v.get<std::string>();
  return labels;
}

json state_json(const ContainerRecord& rec, LiveStatus live, pid_t pid, bool restarting) {
  bool up = live == LiveStatus::running || live == LiveStatus::paused;
  // Waiting out its back-off, docker's says running and restarting.
  return {{"Status", restarting ? std::string("restarting") : std::string(to_string(live))},
          {"Running", up || restarting},
          {"Paused", live == LiveStatus::paused},
          {"Restarting", restarting},
          {"OOMKilled", !up && rec.oom_killed},
          {"Dead", live == LiveStatus::lost},
          {"Pid", up ? pid : 0},
          {"ExitCode", up ? 0 : rec.exit_code},
          {"Error", rec.error},
          {"StartedAt", time_or_zero(rec.started)},
          {"FinishedAt", time_or_zero(up ? "" : rec.finished)}};
}

// docker's names for the namespace modes: "" is private (network: none,
// until bridge networking exists).
std::string mode_or(const std::string& mode, std::string_view dflt) {
  return mode.empty() ? std::string(dflt) : mode;
}

// What the flags asked for, in docker's HostConfig names; the numbers are
// the ones the runtime was given (config.json's linux.resources), so the
// conversions live in one place (engine/resources.cpp).
json host_config(const ContainerRecord& rec, const spec::Config* cfg) {
  const RunFlags& f = rec.flags;
  json h;
  h["Binds"] = strings_or_null(f.volumes);
  h["ContainerIDFile"] = f.cidfile;
  h["NetworkMode"] = mode_or(f.network, "default");
  h["PublishAllPorts"] = f.publish_all;
  h["PortBindings"] = json::object();
  if (auto bindings = parse_publish(f.publish))
    for (auto& b : *bindings)
      h["PortBindings"][std::to_string(b.container_port) + "/" + b.proto].push_back(
          {{"HostIp", b.host_ip}, {"HostPort", b.host_port ? std::to_string(b.host_port) : ""}});
  auto policy = parse_restart_policy(f.restart).value_or(RestartPolicy{});
  static constexpr const char* kPolicyNames[] = {"no", "on-failure", "always", "unless-stopped"};
  h["RestartPolicy"] = {{"Name", kPolicyNames[static_cast<int>(policy.kind)]},
                        {"MaximumRetryCount", policy.max_retries}};
  json log_opts = json::object();
  for (auto& o : f.log_opts)
    if (auto eq = o.find('='); eq != std::string::npos) log_opts[o.substr(0, eq)] = o.substr(eq + 1);
  h["LogConfig"] = {{"Type", f.log_driver.empty() ? "json-file" : f.log_driver}, {"Config", log_opts}};
  h["AutoRemove"] = rec.auto_remove;
  h["CapAdd"] = strings_or_null(f.cap_add);
  h["CapDrop"] = strings_or_null(f.cap_drop);
  h["VolumesFrom"] = strings_or_null(f.volumes_from);
  h["CgroupnsMode"] = mode_or(f.cgroupns, "private");
  h["GroupAdd"] = strings_or_null(f.group_add);
  h["IpcMode"] = mode_or(f.ipc, "private");
  h["PidMode"] = f.pid;
  h["UTSMode"] = f.uts;
  h["UsernsMode"] = f.userns;
  h["Privileged"] = f.privileged;
  h["ReadonlyRootfs"] = f.read_only;
  h["ShmSize"] = parse_shm_size(f.shm_size).value_or(kDefaultShmBytes);
  h["SecurityOpt"] = strings_or_null(f.security_opt);
  h["Tmpfs"] = f.tmpfs.empty() ? json(nullptr) : pairs(f.tmpfs);
  h["Sysctls"] = f.sysctls.empty() ? json(nullptr) : pairs(f.sysctls);
  h["Ulimits"] = strings_or_null(f.ulimits);
  h["Devices"] = strings_or_null(f.devices);
  h["Mounts"] = strings_or_null(f.mounts);
  h["OomScoreAdj"] = f.oom_score_adj.value_or(0);
  h["Init"] = f.init;
  h["Annotations"] = f.annotations.empty() ? json(nullptr) : pairs(f.annotations);
  spec::Resources none;
  const spec::Resources& r = cfg && cfg->linux.resources ? *cfg->linux.resources : none;
  spec::MemoryResources mem = r.memory.value_or(spec::MemoryResources{});
  spec::CpuResources cpu = r.cpu.value_or(spec::CpuResources{});
  h["Memory"] = mem.limit.value_or(0);
  h["MemorySwap"] = mem.swap.value_or(0);
  h["MemoryReservation"] = mem.reservation.value_or(0);
  h["OomKillDisable"] = mem.disable_oom_killer.value_or(false);
  h["CpuShares"] = cpu.shares.value_or(0);
  // --cpus is quota/period; docker keeps it as billionths of a CPU, and
  // its CpuPeriod and CpuQuota as 0.
  long long nano = 0;
  if (rec.nano_cpus && cpu.quota && cpu.period && *cpu.period)
    nano = *cpu.quota * 1000000000LL / static_cast<long long>(*cpu.period);
  h["CpuPeriod"] = rec.nano_cpus ? 0 : cpu.period.value_or(0);
  h["CpuQuota"] = rec.nano_cpus ? 0 : cpu.quota.value_or(0);
  h["NanoCpus"] = nano;
  h["CpusetCpus"] = cpu.cpus;
  h["CpusetMems"] = cpu.mems;
  h["PidsLimit"] = r.pids ? json(r.pids->limit) : json(nullptr);
  h["BlkioWeight"] = r.block_io && r.block_io->weight ? *r.block_io->weight : 0;
  return h;
}

// The image's settings under the flags' overrides, as docker's Config.
json config_json(const Engine& eng, const ContainerRecord& rec, const spec::Config* cfg) {
  const RunFlags& f = rec.flags;
  image::RunConfig img;
  if (auto found = eng.images().find_image(rec.image_id)) img = found->config.config;
  std::vector<std::string> entrypoint = img.entrypoint, cmd = img.cmd;
  if (f.entrypoint) {
    entrypoint = f.entrypoint->empty() ? std::vector<std::string>{} : std::vector<std::string>{*f.entrypoint};
    cmd.clear();  // a new entrypoint drops the image's cmd
  }
  if (!f.command.empty()) cmd = f.command;
  json labels = json(labels_over(img.labels, f.labels));
  const spec::Process* p = cfg && cfg->process ? &*cfg->process : nullptr;
  json c;
  c["Hostname"] = cfg ? cfg->hostname : "";
  c["Domainname"] = cfg ? cfg->domainname : "";
  c["User"] = f.user.empty() ? img.user : f.user;
  c["AttachStdin"] = f.interactive && !f.detach;
  c["AttachStdout"] = !f.detach;
  c["AttachStderr"] = !f.detach;
  c["Tty"] = f.tty;
  c["OpenStdin"] = f.interactive;
  c["StdinOnce"] = false;
  c["Env"] = p ? p->env : std::vector<std::string>{};
  c["Cmd"] = strings_or_null(cmd);
  if (rec.healthcheck) c["Healthcheck"] = image::health_config_json(*rec.healthcheck);
  c["Image"] = rec.image;
  c["Volumes"] = nullptr;
  if (!rec.exposed_ports.empty()) {
    c["ExposedPorts"] = json::object();
    for (auto& p : rec.exposed_ports) c["ExposedPorts"][p] = json::object();
  }
  c["WorkingDir"] = p ? p->cwd : img.working_dir;
  c["Entrypoint"] = strings_or_null(entrypoint);
  c["Labels"] = labels;
  c["StopSignal"] = f.stop_signal.empty() ? "SIGTERM" : f.stop_signal;
  if (f.stop_timeout) c["StopTimeout"] = *f.stop_timeout;
  return c;
}

// Binds and volumes the container was given (not the runtime's own /proc,
// /dev, ... mounts), as docker's Mounts.
json mounts_json(const Engine& eng, const spec::Config* cfg) {
  json out = json::array();
  if (!cfg) return out;
  std::string volumes = eng.images().root() + "/volumes/";
  for (auto& m : cfg->mounts) {
    bool bind = m.type == "bind" ||
                std::find(m.options.begin(), m.options.end(), "bind") != m.options.end() ||
                std::find(m.options.begin(), m.options.end(), "rbind") != m.options.end();
    if (!bind) continue;
    bool ro = std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
    json j;
    if (m.source.starts_with(volumes)) {
      j["Type"] = "volume";
      j["Name"] = m.source.substr(volumes.size(), m.source.find('/', volumes.size()) - volumes.size());
    } else {
      j["Type"] = "bind";
    }
    j["Source"] = m.source;
    j["Destination"] = m.destination;
    j["Mode"] = ro ? "ro" : "";
    j["RW"] = !ro;
    j["Propagation"] = "rprivate";
    out.push_back(j);
  }
  return out;
}

json graph_driver(const OverlayDirs& d) {
  return {{"Name", "overlay"},
          {"Data",
           {{"LowerDir", join(d.lowers, ":")},
            {"UpperDir", d.upper},
            {"WorkDir", d.work},
            {"MergedDir", d.merged}}}};
}

// A container on networks of the engine's shows what it holds on each
// while it runs (docker's fields, empty when it does not); the top-level
// address fields are the default bridge network's, as docker's.
json network_settings(const Engine& eng, const ContainerRecord& rec, pid_t pid) {
  std::string mode = mode_or(rec.flags.network, "bridge");
  if (mode == "default") mode = "bridge";
  auto eps = pid > 0 ? endpoints_of(eng.run_root(), rec.id) : std::vector<Endpoint>{};
  auto atts = attachments_of(rec);
  std::string sandbox = !eps.empty() || (pid > 0 && !atts.empty()) ? netns_path(eng.run_root(), rec.id)
                        : pid > 0 ? "/proc/" + std::to_string(pid) + "/ns/net"
                                  : "";
  auto addr_of = [](const Endpoint* ep) -> json {
    return {{"Gateway", ep ? ep->gateway.str() : ""},
            {"IPAddress", ep ? ep->address.str() : ""},
            {"IPPrefixLen", ep ? ep->prefix : 0},
            {"MacAddress", ep ? ep->mac : ""}};
  };
  auto on = [&](const std::string& id, const std::string& name) -> const Endpoint* {
    for (auto& e : eps)
      if (e.network_id == id || (id.empty() && e.network == name)) return &e;
    return nullptr;
  };
  json networks = json::object();
  for (auto& a : atts) {
    const Endpoint* ep = on(a.id, a.name);
    json aliases = a.aliases;
    bool named = a.name != "bridge";
    if (named) aliases.push_back(rec.id.substr(0, 12));
    json n = {{"IPAMConfig", a.ip.empty() ? json(nullptr) : json{{"IPv4Address", a.ip}}},
              {"Links", nullptr},
              {"Aliases", named ? aliases : json(nullptr)},
              {"NetworkID", a.id},
              {"EndpointID", ep ? rec.id.substr(0, 12) + "-" + a.id.substr(0, 12) : ""}};
    n.update(addr_of(ep));
    n["IPv6Gateway"] = "";
    n["GlobalIPv6Address"] = "";
    n["GlobalIPv6PrefixLen"] = 0;
    networks[a.name] = n;
  }
  if (atts.empty()) {
    json n = addr_of(nullptr);
    n["NetworkID"] = "";
    networks[mode] = n;
  }
  json ports = json::object();
  if (!eps.empty())
    for (auto& p : eps[0].ports)
      ports[std::to_string(p.port) + "/" + p.proto].push_back(
          {{"HostIp", p.host_address ? p.host_address->str() : "0.0.0.0"},
           {"HostPort", std::to_string(p.host_port)}});
  json s = {{"Bridge", ""}, {"SandboxID", ""}, {"SandboxKey", sandbox}, {"Ports", ports}};
  const Endpoint* bridge = nullptr;
  for (auto& e : eps)
    if (e.network == "bridge") bridge = &e;
  s.update(addr_of(bridge));
  s["Networks"] = networks;
  return s;
}

}  // namespace

OverlayDirs overlay_dirs(const Engine& eng, const ContainerRecord& rec) {
  OverlayDirs d;
  ContainerStore cs = eng.containers();
  if (auto img = eng.images().find_image(rec.image_id))
    if (auto links = eng.images().lower_links(*img))
      for (auto& l : *links) d.lowers.push_back(eng.images().root() + "/" + l);
  d.upper = cs.dir(rec.id) + "/upper";
  d.work = cs.dir(rec.id) + "/work";
  d.merged = cs.bundle_dir(rec.id) + "/rootfs";
  return d;
}

std::map<std::string, std::string> container_labels(const Engine& eng, const ContainerRecord& rec) {
  std::map<std::string, std::string> image_labels;
  if (auto found = eng.images().find_image(rec.image_id)) image_labels = found->config.config.labels;
  return labels_over(std::move(image_labels), rec.flags.labels);
}

json container_mounts(const Engine& eng, const ContainerRecord& rec) {
  auto cfg = spec::load_config(eng.containers().bundle_dir(rec.id) + "/config.json");
  return mounts_json(eng, cfg ? &*cfg : nullptr);
}

Result<json> inspect_container(const Engine& eng, const ContainerRecord& rec) {
  ContainerStore cs = eng.containers();
  auto cfg = spec::load_config(cs.bundle_dir(rec.id) + "/config.json");
  const spec::Config* config = cfg ? &*cfg : nullptr;
  LiveStatus live = eng.live_status(rec);
  pid_t pid = 0;
  if (live == LiveStatus::running || live == LiveStatus::paused)
    if (auto s = runtime::container_state(eng.runtime_context(), rec.id)) pid = s->pid;
  std::vector<std::string> args = rec.command;
  std::string path = args.empty() ? "" : args.front();
  if (!args.empty()) args.erase(args.begin());
  json j;
  j["Id"] = rec.id;
  j["Created"] = rec.created;
  j["Path"] = path;
  j["Args"] = args;
  j["State"] = state_json(rec, live, pid, live == LiveStatus::exited && waiting_to_restart(cs.dir(rec.id)));
  if (health_active(rec.healthcheck))
    if (auto h = read_health(cs.dir(rec.id)); h && *h) j["State"]["Health"] = to_json(**h);
  j["Image"] = rec.image_id;
  j["ResolvConfPath"] = "";
  j["HostnamePath"] = "";
  j["HostsPath"] = "";
  std::string log = log_path(cs.dir(rec.id));
  j["LogPath"] = path_exists(log) ? log : "";
  j["Name"] = "/" + rec.name;
  j["RestartCount"] = rec.restart_count;
  j["Driver"] = "overlay";
  j["Platform"] = "linux";
  bool proc = config && config->process;
  j["MountLabel"] = config ? config->linux.mount_label : "";
  j["ProcessLabel"] = proc ? config->process->selinux_label : "";
  j["AppArmorProfile"] = proc ? config->process->apparmor_profile : "";
  j["ExecIDs"] = nullptr;
  j["HostConfig"] = host_config(rec, config);
  OverlayDirs dirs = overlay_dirs(eng, rec);
  j["GraphDriver"] = graph_driver(dirs);
  j["Mounts"] = mounts_json(eng, config);
  j["Config"] = config_json(eng, rec, config);
  j["NetworkSettings"] = network_settings(eng, rec, pid);
  j["Isolation"] = pid > 0 ? isolation_section(eng, rec, pid) : json(nullptr);
  return j;
}

}  // namespace husk::engine
