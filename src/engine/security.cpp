// docker's security flags -> config.json. docker's defaults replace the
// runtime's (runc's) where they differ: docker's fourteen capabilities, and
// no_new_privs only when asked for.
#include "engine/security.hpp"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/seccomp_profile.hpp"
#include "engine/spec.hpp"
#include "linux/capabilities.hpp"
#include "linux/lsm.hpp"
#include "spec/capabilities.hpp"

namespace husk::engine {

namespace {

Error bad_flag(const std::string& value, const char* flag, const std::string& why) {
  return Error(EINVAL, "invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why, false,
               ErrorKind::invalid_argument);
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Result<std::vector<std::string>> normalize_all(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (auto& n : names) out.push_back(HUSK_TRY(normalize_capability(n)));
  return out;
}

spec::Resources& resources_of(spec::Config& spec) {
  return spec.linux.resources ? *spec.linux.resources : spec.linux.resources.emplace();
}

// One device node as linux.devices has it, and the cgroup rule that lets
// the container use it with ACCESS.
void add_device_node(const std::string& path, const struct stat& st, const std::string& access,
                     spec::Config& spec) {
  spec::Device d;
  d.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
  d.path = path;
  d.major = static_cast<int64_t>(major(st.st_rdev));
  d.minor = static_cast<int64_t>(minor(st.st_rdev));
  d.file_mode = st.st_mode & 07777;
  d.uid = st.st_uid;
  d.gid = st.st_gid;
  spec.linux.devices.push_back(d);
  if (!access.empty())
    resources_of(spec).devices.push_back(spec::DeviceRule{
        .allow = true, .type = d.type, .major = d.major, .minor = d.minor, .access = access});
}

bool is_device(const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode); }

// Every device node under the host's DIR, as DEST/relative-path; SKIP names
// top-level entries left out.
Result<void> add_devices_under(const std::string& dir, const std::string& dest, const std::string& access,
                               const std::set<std::string>& skip, spec::Config& spec) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return fail_code(ec.value(), "read " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return fail_code(ec.value(), "read " + dir + ": " + ec.message());
    std::string rel = it->path().lexically_relative(dir).string();
    if (it.depth() == 0 && skip.contains(rel)) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st;
    if (::lstat(it->path().c_str(), &st) < 0 || !is_device(st)) continue;
    add_device_node(dest + "/" + rel, st, access, spec);
  }
  return {};
}

// --device: one node, or every node under a directory (as docker).
Result<void> add_requested_device(const DeviceRequest& d, spec::Config& spec) {
  auto what = [&](const std::string& why) {
    return fail_code(
        EINVAL, "error gathering device information while adding custom device \"" + d.host + "\": " + why);
  };
  char resolved[PATH_MAX];
  if (!::realpath(d.host.c_str(), resolved)) return what(std::strerror(errno));
  struct stat st;
  if (::stat(resolved, &st) < 0) return what(std::strerror(errno));
  if (is_device(st)) {
    add_device_node(d.container, st, d.access, spec);
    return {};
  }
  if (!S_ISDIR(st.st_mode)) return what("not a device node");
  return add_devices_under(resolved, d.container, d.access, {}, spec);
}

// docker's masked and read-only /proc and /sys paths (runc's default spec
// lacks powercap: the energy counters that leak what other tenants run,
// CVE-2020-8694).
void set_docker_masks(spec::Config& spec) {
  spec.linux.masked_paths = {"/proc/asound",
                             "/proc/acpi",
                             "/proc/kcore",
                             "/proc/keys",
                             "/proc/latency_stats",
                             "/proc/timer_list",
                             "/proc/timer_stats",
                             "/proc/sched_debug",
                             "/proc/scsi",
                             "/sys/firmware",
                             "/sys/devices/virtual/powercap"};
  spec.linux.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

// docker's --privileged: every capability (set by the caller), every host
// device usable, nothing masked, /sys and its cgroups writable.
Result<void> make_privileged(spec::Config& spec) {
  resources_of(spec).devices = {spec::DeviceRule{.allow = true, .type = 'a', .access = "rwm"}};
  // As runc's host-device list: the kernel's pseudo-filesystems and the
  // console (the container gets its own) are not devices to copy.
  static const std::set<std::string> skip = {"pts",  "shm",         "fd",    "mqueue",
                                             ".lxc", ".lxd-mounts", ".udev", "console"};
  HUSK_TRY(add_devices_under("/dev", "/dev", "", skip, spec));
  spec.linux.masked_paths.clear();
  spec.linux.readonly_paths.clear();
  for (auto& m : spec.mounts)
    if (m.destination == "/sys" || m.destination == "/sys/fs/cgroup") std::erase(m.options, "ro");
  return {};
}

void set_capabilities(const std::vector<std::string>& caps, spec::Process& process) {
  // As docker: a non-root user starts with empty effective and permitted
  // sets (what execve gives it); the bounding set still limits what it may gain.
  spec::Capabilities c;
  for (auto& name : caps)
    if (auto cap = spec::capability_from_name(name)) c.bounding.push_back(*cap);
  if (process.user.uid == 0) c.effective = c.permitted = c.bounding;
  process.capabilities = std::move(c);
}

// docker's choice of filter: none when unconfined, or privileged without a
// profile of its own; the profile named; else husk's default (the same
// syscalls allowed and denied as docker's and podman's defaults).
Result<void> set_seccomp(const SpecContext& ctx, const SecurityOptions& o,
                         const std::vector<std::string>& caps, bool privileged, spec::Config& spec) {
  spec.linux.seccomp.reset();
  if (o.seccomp_unconfined || (privileged && o.seccomp_profile.empty())) return {};
  if (o.seccomp_profile.empty()) {
    spec.linux.seccomp =
        HUSK_TRY_CTX(cached_seccomp_from_docker_profile(ctx.store_root, kDefaultSeccompProfile,
                                                        native_seccomp_target(caps)),
                     "the default seccomp profile");
    return {};
  }
  auto text = read_file(o.seccomp_profile);
  if (!text)
    return fail_code(EINVAL,
                     "opening seccomp profile (" + o.seccomp_profile + ") failed: " + text.error().what());
  spec.linux.seccomp = HUSK_TRY_CTX(seccomp_from_docker_profile(*text, native_seccomp_target(caps)),
                                    "seccomp profile " + o.seccomp_profile);
  return {};
}

// apparmor= and label=: set for the runtime, which applies them where the
// host has the module; where it has not, docker goes on without, and so do
// we, saying so.
void set_lsm_labels(const SpecContext& ctx, const SecurityOptions& o, spec::Process& process) {
  if (!o.apparmor_profile.empty()) process.apparmor_profile = o.apparmor_profile;
  if (!o.selinux_label.empty()) process.selinux_label = o.selinux_label;
  for (auto& m : linux::plan_lsm(o.apparmor_profile, o.selinux_label, "").unapplied) ctx.warn(m);
}

void set_rlimit(const Ulimit& u, spec::Process& process) {
  std::erase_if(process.rlimits, [&](const spec::Rlimit& r) { return r.type == u.type; });
  process.rlimits.push_back(spec::Rlimit{u.resource, u.type, u.hard, u.soft});
}

// What "all capabilities" can mean here: those this kernel knows that husk
// itself may still hold (as docker's: in a container with a reduced
// bounding set, asking for more fails at exec).
std::vector<std::string> available_capabilities() {
  std::vector<std::string> out;
  for (auto& name : linux::all_capability_names())
    if (auto cap = spec::capability_from_name(name); cap && ::prctl(PR_CAPBSET_READ, *cap, 0, 0, 0) == 1)
      out.push_back(name);
  return out;
}

}  // namespace

const std::vector<std::string>& docker_default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

Result<std::string> normalize_capability(const std::string& name) {
  std::string up = to_upper(name);
  if (up == "ALL") return up;
  if (!starts_with(up, "CAP_")) up = "CAP_" + up;
  if (!spec::capability_from_name(up)) return fail_code(EINVAL, "unknown capability: \"" + up + "\"");
  return up;
}

Result<std::vector<std::string>> container_capabilities(
    const RunFlags& f, const std::function<std::vector<std::string>()>& all_caps) {
  auto add = HUSK_TRY(normalize_all(f.cap_add));
  auto drop = HUSK_TRY(normalize_all(f.cap_drop));
  if (f.privileged) return all_caps();
  std::vector<std::string> caps;
  auto put = [&](const std::string& c) {
    if (c != "ALL" && !has(caps, c)) caps.push_back(c);
  };
  if (has(add, "ALL")) {
    for (auto& c : all_caps())
      if (!has(drop, c)) put(c);
  } else if (has(drop, "ALL")) {
    for (auto& c : add) put(c);  // nothing but what is added
  } else {
    for (auto& c : docker_default_capabilities())
      if (!has(drop, c)) put(c);
    for (auto& c : add) put(c);
  }
  return caps;
}

Result<Ulimit> parse_ulimit(const std::string& value) {
  // docker's names; "as" is left out, as docker's.
  static const std::set<std::string> names = {"core",    "cpu",      "data",   "fsize",      "locks",
                                              "memlock", "msgqueue", "nice",   "nofile",     "nproc",
                                              "rss",     "rtprio",   "rttime", "sigpending", "stack"};
  auto bad = [&](const std::string& why) { return fail(bad_flag(value, "--ulimit", why)); };
  auto eq = value.find('=');
  if (eq == std::string::npos) return bad("invalid ulimit argument: " + value);
  std::string name = value.substr(0, eq);
  if (!names.contains(name)) return bad("invalid ulimit type: " + name);
  auto limits = split(value.substr(eq + 1), ':');
  if (limits.size() > 2)
    return bad("too many limit value arguments - " + value.substr(eq + 1) +
               ", can only have up to two, `soft[:hard]`");
  auto number = [&](const std::string& s) -> Result<uint64_t> {
    auto v = parse_i64(s);
    if (!v || *v < -1) return bad("invalid ulimit value \"" + s + "\" (a number, or -1 for unlimited)");
    return *v == -1 ? UINT64_MAX : static_cast<uint64_t>(*v);
  };
  Ulimit u;
  u.type = "RLIMIT_" + to_upper(name);
  auto resource = spec::rlimit_from_name(u.type);
  if (!resource) return bad("invalid ulimit type: " + name);
  u.resource = *resource;
  u.soft = HUSK_TRY(number(limits[0]));
  u.hard = limits.size() == 2 ? HUSK_TRY(number(limits[1])) : u.soft;
  if (u.soft > u.hard)
    return bad("ulimit soft limit must be less than or equal to hard limit: " + limits[0] + " > " +
               limits[1]);
  return u;
}

Result<std::pair<std::string, std::string>> parse_sysctl(const std::string& value, const RunFlags& f) {
  static const std::set<std::string> ipc = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                            "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                            "kernel.shmmni", "kernel.shm_rmid_forced"};
  auto eq = value.find('=');
  std::string key = value.substr(0, eq);
  if (eq == std::string::npos || key.empty())
    return fail(bad_flag(value, "--sysctl", "bad format: \"" + value + "\" is not KEY=VALUE"));
  bool ipc_key = ipc.contains(key) || starts_with(key, "fs.mqueue.");
  bool net_key = starts_with(key, "net.");
  // Only sysctls of a namespace the container has alone: others are the host's.
  if (!ipc_key && !net_key)
    return fail(bad_flag(value, "--sysctl", "sysctl '" + key + "' is not whitelisted"));
  if (net_key && f.network == "host")
    return fail_code(EINVAL, "sysctl \"" + key + "\" is not allowed in host network namespace");
  if (ipc_key && f.ipc == "host")
    return fail_code(EINVAL, "sysctl \"" + key + "\" is not allowed in host IPC namespace");
  return std::pair{key, value.substr(eq + 1)};
}

Result<DeviceRequest> parse_device(const std::string& value) {
  auto mode_ok = [](const std::string& m) {
    if (m.empty() || m.size() > 3) return false;
    std::set<char> seen;
    for (char c : m)
      if ((c != 'r' && c != 'w' && c != 'm') || !seen.insert(c).second) return false;
    return true;
  };
  auto parts = split(value, ':');
  DeviceRequest d;
  if (parts.size() > 3 || parts[0].empty())
    return fail(bad_flag(value, "--device", "invalid device specification: " + value));
  d.host = parts[0];
  if (parts.size() == 3) {
    d.container = parts[1];
    d.access = parts[2];
    if (!mode_ok(d.access)) return fail(bad_flag(value, "--device", "bad mode specified: " + d.access));
  } else if (parts.size() == 2) {
    (mode_ok(parts[1]) ? d.access : d.container) = parts[1];
  }
  if (d.container.empty()) d.container = d.host;
  if (d.container[0] != '/')
    return fail(bad_flag(value, "--device", d.container + " is not an absolute path"));
  return d;
}

// docker's label=user:U|role:R|type:T|level:L (each replacing its part of
// the default container label) and label=disable. False for anything else.
bool set_label_part(SecurityOptions& o, const std::string& value) {
  if (value == "disable") {
    o.selinux_label.clear();
    return true;
  }
  static constexpr const char* kParts[] = {"user", "role", "type", "level"};
  auto colon = value.find(':');
  if (colon == std::string::npos || colon + 1 == value.size()) return false;
  auto part = std::find(std::begin(kParts), std::end(kParts), value.substr(0, colon));
  if (part == std::end(kParts)) return false;
  auto fields = split(o.selinux_label.empty() ? "system_u:system_r:container_t:s0" : o.selinux_label, ':');
  // The level may itself hold colons (s0:c1,c2): it is everything after the type.
  for (size_t k = 4; k < fields.size(); ++k) fields[3] += ":" + fields[k];
  fields.resize(4);
  size_t i = static_cast<size_t>(part - std::begin(kParts));
  fields[i] = value.substr(colon + 1);
  o.selinux_label = fields[0] + ":" + fields[1] + ":" + fields[2] + ":" + fields[3];
  return true;
}

Result<SecurityOptions> parse_security_opts(const std::vector<std::string>& opts) {
  SecurityOptions o;
  for (auto& opt : opts) {
    auto sep = opt.find_first_of("=:");
    std::string key = opt.substr(0, sep), value = sep == std::string::npos ? "" : opt.substr(sep + 1);
    if (key == "no-new-privileges" && (value.empty() || value == "true" || value == "false")) {
      o.no_new_privileges = value != "false";
    } else if (key == "seccomp" && sep != std::string::npos && opt[sep] == '=' && !value.empty()) {
      o.seccomp_unconfined = value == "unconfined";
      o.seccomp_profile = o.seccomp_unconfined ? "" : value;
    } else if (key == "apparmor" && sep != std::string::npos && !value.empty()) {
      o.apparmor_profile = value == "unconfined" ? "" : value;
    } else if (key == "label" && sep != std::string::npos && set_label_part(o, value)) {
    } else {
      return fail_code(EINVAL,
                       "invalid --security-opt: \"" + opt +
                           "\" (husk knows no-new-privileges[:true|false], seccomp=unconfined|PROFILE.json, "
                           "apparmor=PROFILE and label=user:|role:|type:|level:VALUE|disable)");
    }
  }
  return o;
}

Result<void> apply_security(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  auto opts = HUSK_TRY(parse_security_opts(f.security_opt));
  auto caps = HUSK_TRY(container_capabilities(f, available_capabilities));
  if (f.oom_score_adj && (*f.oom_score_adj < -1000 || *f.oom_score_adj > 1000))
    return fail_code(EINVAL, "Invalid value " + std::to_string(*f.oom_score_adj) +
                                 ", range for oom score adj is [-1000, 1000]");
  std::vector<Ulimit> ulimits;
  for (auto& u : f.ulimits) ulimits.push_back(HUSK_TRY(parse_ulimit(u)));
  std::vector<DeviceRequest> devices;
  for (auto& d : f.devices) devices.push_back(HUSK_TRY(parse_device(d)));
  auto& process = spec.process.value();
  set_capabilities(caps, process);
  process.no_new_privileges = opts.no_new_privileges;
  HUSK_TRY(set_seccomp(ctx, opts, caps, f.privileged, spec));
  set_lsm_labels(ctx, opts, process);
  if (f.privileged)
    HUSK_TRY(make_privileged(spec));
  else
    set_docker_masks(spec);
  for (auto& d : devices) HUSK_TRY(add_requested_device(d, spec));
  for (auto& u : ulimits) set_rlimit(u, process);
  for (auto& s : f.sysctls) {
    auto [key, value] = HUSK_TRY(parse_sysctl(s, f));
    spec.linux.sysctl[key] = value;
  }
  if (f.oom_score_adj) process.oom_score_adj = *f.oom_score_adj;
  return {};
}

}  // namespace husk::engine
