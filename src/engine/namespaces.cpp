// --ipc, --pid, --uts, --network, --cgroupns, --time-offset, --domainname,
// --userns and --init onto the spec. The bundle starts with runc's default
// set (pid, network, ipc, uts, mount, cgroup: all private); each mode then
// drops a namespace (host), points it at another container's (container:
// NAME, through /proc/PID/ns/X of that container's init) or adds one (time).
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <algorithm>
#include <optional>

#include "engine/namespaces.hpp"
#include "engine/network.hpp"
#include "engine/spec.hpp"
#include "engine/userns.hpp"

namespace husk::engine {

namespace {

struct Modes {
  NamespaceChoice ipc, pid, uts, network, cgroup;
  long long shm_bytes = kDefaultShmBytes;
  UsernsMode userns = UsernsMode::host;
  TimeOffsets time;
};

Result<void> conflict(const std::string& what) { return fail_code(EINVAL, "conflicting options: " + what); }

// Every flag parsed, and the combinations docker refuses refused, before the
// spec is touched.
Result<Modes> parse_modes(const RunFlags& f) {
  Modes m;
  m.ipc = HUSK_TRY(parse_ipc_mode(f.ipc));
  m.shm_bytes = HUSK_TRY(parse_shm_size(f.shm_size));
  m.pid = HUSK_TRY(parse_pid_mode(f.pid));
  m.uts = HUSK_TRY(parse_uts_mode(f.uts));
  m.network = HUSK_TRY(parse_network_mode(f.network));
  m.cgroup = HUSK_TRY(parse_cgroupns_mode(f.cgroupns));
  m.userns = HUSK_TRY(parse_userns_mode(f.userns));
  m.time = HUSK_TRY(parse_time_offsets(f.time_offset));
  if (m.uts.mode == NsMode::host && !f.hostname.empty())
    HUSK_TRY(conflict("--hostname and --uts=host (the host's hostname is the container's)"));
  if (m.uts.mode == NsMode::host && !f.domainname.empty())
    HUSK_TRY(conflict("--domainname and --uts=host (the host's domain name is the container's)"));
  if (m.network.mode == NsMode::container && !f.hostname.empty())
    HUSK_TRY(conflict("--hostname and --network=container:NAME"));
  if (m.userns != UsernsMode::host) {
    // As docker's: a user namespace cannot hold the host's pid or network
    // namespace (its root would own neither), nor a privileged container.
    if (m.pid.mode == NsMode::host) HUSK_TRY(conflict("--userns=" + f.userns + " and --pid=host"));
    if (m.network.mode == NsMode::host) HUSK_TRY(conflict("--userns=" + f.userns + " and --network=host"));
    if (f.privileged) HUSK_TRY(conflict("--userns=" + f.userns + " and --privileged"));
    for (auto* c : {&m.ipc, &m.pid, &m.network})
      if (c->mode == NsMode::container)
        return fail_code(ENOTSUP, "--userns=" + f.userns + " with container:" + c->container +
                                      " namespaces is not supported yet (it would join that container's user "
                                      "namespace)");
  }
  return m;
}

using spec::NamespaceType;

void drop_namespace(spec::Config& spec, NamespaceType type) {
  std::erase_if(spec.linux.namespaces, [&](const spec::Namespace& ns) { return ns.type == type; });
}

// A namespace of its own (PATH empty), or the one at PATH.
void set_namespace(spec::Config& spec, NamespaceType type, const std::string& path = "") {
  drop_namespace(spec, type);
  spec.linux.namespaces.push_back({type, path});
}

// The mount on DESTINATION replaced by MOUNT (none: removed).
void set_mount(spec::Config& spec, const std::string& destination, std::optional<spec::Mount> mount) {
  std::erase_if(spec.mounts, [&](const spec::Mount& m) { return m.destination == destination; });
  if (mount) spec.mounts.push_back(std::move(*mount));
}

spec::Mount shm_bind(const std::string& source) {
  spec::Mount m;
  m.destination = "/dev/shm";
  m.type = "bind";
  m.source = source;
  m.options = {"rbind", "nosuid", "noexec", "nodev"};
  return m;
}

// The namespace file of container NAME's running init. One in a user
// namespace of its own owns its other namespaces: only its root could join
// them, from inside that user namespace.
Result<std::string> joined(const SpecContext& ctx, const std::string& name, NamespaceType ns) {
  auto donor = HUSK_TRY_CTX(ctx.find_container(name), "container:" + name);
  if (HUSK_TRY(parse_userns_mode(donor.flags.userns)) != UsernsMode::host)
    return fail_code(ENOTSUP, "container:" + name + " runs with --userns=" + donor.flags.userns +
                                  ": joining its namespaces is not supported yet");
  pid_t pid = HUSK_TRY_CTX(ctx.container_pid(name), "container:" + name);
  return "/proc/" + std::to_string(pid) + "/ns/" + spec::namespace_proc_name(ns);
}

// A shareable container's /dev/shm is a directory of its own in the store
// (docker keeps it beside the container too), bound in, so a container that
// joins its IPC namespace can bind the same one: a mount inside the donor's
// mount namespace could not be bound from outside it.
std::string shm_dir(const SpecContext& ctx, const std::string& id) {
  return ctx.store_root + "/containers/" + id + "/shm";
}

// The runtime's own tmpfs on /dev/shm, of SHM_BYTES (docker passes its
// size in bytes too).
void size_private_shm(spec::Config& spec, long long shm_bytes) {
  for (auto& m : spec.mounts) {
    if (m.destination != "/dev/shm" || m.type != "tmpfs") continue;
    std::erase_if(m.options, [](const std::string& o) { return o.starts_with("size="); });
    m.options.push_back("size=" + std::to_string(shm_bytes));
  }
}

Result<void> apply_ipc(const SpecContext& ctx, const NamespaceChoice& ipc, long long shm_bytes,
                       spec::Config& spec) {
  switch (ipc.mode) {
    case NsMode::private_ns:
      size_private_shm(spec, shm_bytes);
      return {};
    case NsMode::none:
      set_mount(spec, "/dev/shm", std::nullopt);
      return {};
    case NsMode::host:
      drop_namespace(spec, NamespaceType::ipc);
      set_mount(spec, "/dev/shm", shm_bind("/dev/shm"));
      return {};
    case NsMode::shareable: {
      if (shm_bytes != kDefaultShmBytes)
        ctx.warn(
            "--shm-size is not applied with --ipc=shareable: its /dev/shm is a directory of the store, "
            "not a tmpfs of its own");
      std::string dir = shm_dir(ctx, ctx.id);
      if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return fail_errno("create " + dir);
      if (::chmod(dir.c_str(), 01777) < 0) return fail_errno("chmod " + dir);
      set_mount(spec, "/dev/shm", shm_bind(dir));
      return {};
    }
    case NsMode::container: {
      auto donor = HUSK_TRY_CTX(ctx.find_container(ipc.container), "--ipc=container:" + ipc.container);
      if (donor.flags.ipc != "shareable")
        return fail_code(EINVAL, "--ipc=container:" + ipc.container + ": container " + donor.name +
                                     " has a non-shareable IPC namespace (run it with --ipc=shareable)");
      set_namespace(spec, NamespaceType::ipc, HUSK_TRY(joined(ctx, donor.id, NamespaceType::ipc)));
      set_mount(spec, "/dev/shm", shm_bind(shm_dir(ctx, donor.id)));
      return {};
    }
  }
  return {};
}

// host: none of its own; container:NAME: that one's.
Result<void> apply_simple(const SpecContext& ctx, const NamespaceChoice& c, NamespaceType type,
                          spec::Config& spec) {
  if (c.mode == NsMode::host) drop_namespace(spec, type);
  if (c.mode == NsMode::container) set_namespace(spec, type, HUSK_TRY(joined(ctx, c.container, type)));
  return {};
}

bool unified_cgroups() {
  struct statfs fs;
  return ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// docker's default: a cgroup namespace of its own on cgroup v2, the host's
// on v1 and hybrid hosts.
void apply_cgroupns(const RunFlags& f, const NamespaceChoice& c, spec::Config& spec) {
  bool own = f.cgroupns.empty() ? unified_cgroups() : c.mode != NsMode::host;
  if (own)
    set_namespace(spec, NamespaceType::cgroup);
  else
    drop_namespace(spec, NamespaceType::cgroup);
}

Result<void> apply_uts(const RunFlags& f, const Modes& m, spec::Config& spec) {
  if (m.uts.mode == NsMode::host) {
    drop_namespace(spec, NamespaceType::uts);
    spec.hostname.clear();
    spec.domainname.clear();
    return {};
  }
  // docker: with the host's network the container is named as the host.
  if (m.network.mode == NsMode::host && f.hostname.empty()) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) < 0) return fail_errno("gethostname");
    spec.hostname = name;
  }
  if (!f.domainname.empty()) spec.domainname = f.domainname;
  return {};
}

void apply_time(const TimeOffsets& t, spec::Config& spec) {
  if (!t.boottime && !t.monotonic) return;
  set_namespace(spec, NamespaceType::time);
  spec.linux.boottime_offset = t.boottime;
  spec.linux.monotonic_offset = t.monotonic;
}

}  // namespace

Result<void> rejoin_namespaces(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  Modes m = HUSK_TRY(parse_modes(f));
  if (m.ipc.mode == NsMode::container) {
    auto donor = HUSK_TRY_CTX(ctx.find_container(m.ipc.container), "--ipc=container:" + m.ipc.container);
    set_namespace(spec, NamespaceType::ipc, HUSK_TRY(joined(ctx, donor.id, NamespaceType::ipc)));
  }
  HUSK_TRY(apply_simple(ctx, m.pid, NamespaceType::pid, spec));
  HUSK_TRY(apply_simple(ctx, m.network, NamespaceType::network, spec));
  return {};
}

Result<void> apply_namespaces(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  Modes m = HUSK_TRY(parse_modes(f));
  HUSK_TRY(apply_ipc(ctx, m.ipc, m.shm_bytes, spec));
  HUSK_TRY(apply_simple(ctx, m.pid, NamespaceType::pid, spec));
  HUSK_TRY(apply_simple(ctx, m.network, NamespaceType::network, spec));
  // A network of the engine's: the namespace it sets up at each start.
  if (!m.network.network.empty())
    set_namespace(spec, NamespaceType::network, netns_path(ctx.run_root, ctx.id));
  HUSK_TRY(apply_uts(f, m, spec));
  apply_cgroupns(f, m.cgroup, spec);
  apply_time(m.time, spec);
  HUSK_TRY(apply_userns(ctx, f, m.userns, spec));
  HUSK_TRY(apply_init(ctx, f, spec));
  return {};
}

}  // namespace husk::engine
