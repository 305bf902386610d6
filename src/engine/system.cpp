// `husk version` and `husk info`: what husk was built from, and what the
// host and the store are (engine/system.hpp).
#include "engine/system.hpp"

#include <sched.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cgroups/layout.hpp"
#include "engine/listing.hpp"
#include "linux/lsm.hpp"
#include "spec/version.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

utsname host_uname() {
  utsname u{};
  ::uname(&u);
  return u;
}

// os-release's KEY (its quotes dropped), "" when absent.
std::string os_release(const std::string& text, const std::string& key) {
  for (auto& line : split(text, '\n')) {
    if (!line.starts_with(key + "=")) continue;
    std::string v = trim(line.substr(key.size() + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

// The CPUs this process may run on, as Go's runtime.NumCPU (docker's NCPU).
int usable_cpus() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
}

}  // namespace

std::string go_arch(const std::string& machine) {
  static constexpr std::pair<const char*, const char*> kNames[] = {
      {"x86_64", "amd64"},    {"aarch64", "arm64"}, {"i686", "386"},
      {"i386", "386"},        {"armv7l", "arm"},    {"armv6l", "arm"},
      {"ppc64le", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}};
  for (auto& [m, go] : kNames)
    if (machine == m) return go;
  return machine;
}

std::string filesystem_name(int64_t f_type) {
  // docker's graphdriver.FsNames, for the filesystems a store sits on.
  static constexpr std::pair<int64_t, const char*> kNames[] = {
      {0xEF53, "extfs"},     {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
      {0x01021994, "tmpfs"}, {0x794C7630, "overlayfs"}, {0x2FC12FC1, "zfs"},
      {0x65735546, "fuse"},  {0x6969, "nfs"},           {0xF2F52010, "f2fs"}};
  for (auto& [magic, name] : kNames)
    if (f_type == magic) return name;
  return "<unknown>";
}

VersionInfo version_info() {
  VersionInfo v;
  v.version = build::kVersion;
  v.git_commit = build::kGitCommit;
  v.built = build::kBuilt;
  v.compiler = compiler();
  v.arch = go_arch(host_uname().machine);
  v.oci_spec = spec::kOciVersion;
  v.oci_spec_accepted = spec::kOciVersionsAccepted;
  return v;
}

json to_json(const VersionInfo& v) {
  json engine = {{"Version", v.version},
                 {"GitCommit", v.git_commit},
                 {"BuildTime", v.built},
                 {"Os", v.os},
                 {"Arch", v.arch}};
  json client = {
      {"Version", v.version}, {"Compiler", v.compiler}, {"GitCommit", v.git_commit}, {"BuildTime", v.built},
      {"Os", v.os},           {"Arch", v.arch}};
  // The runtime is husk's own library, run in-process: its version is husk's.
  engine["Components"] =
      json::array({{{"Name", "husk-runtime"},
                    {"Version", v.version},
                    {"Details", {{"OCISpec", v.oci_spec}, {"OCISpecAccepted", v.oci_spec_accepted}}}}});
  return {{"Client", client}, {"Engine", engine}};
}

std::string version_text(const VersionInfo& v) {
  // docker prints its template through a tabwriter (minimum width 20,
  // padding 1): the values of a block start in one column.
  std::string t = "Client:\n";
  t += " Version:\t" + v.version + "\n";
  t += " Compiler:\t" + v.compiler + "\n";
  t += " Git commit:\t" + v.git_commit + "\n";
  t += " Built:\t" + v.built + "\n";
  t += " OS/Arch:\t" + v.os + "/" + v.arch + "\n";
  t += "\nEngine:\n";
  t += " Version:\t" + v.version + "\n";
  t += " Git commit:\t" + v.git_commit + "\n";
  t += " Built:\t" + v.built + "\n";
  t += " OS/Arch:\t" + v.os + "/" + v.arch + "\n";
  t += " husk-runtime:\n";
  t += "  Version:\t" + v.version + "\n";
  t += "  OCI spec:\t" + v.oci_spec + " (accepts " + v.oci_spec_accepted + ")\n";
  return align_columns(t, 20, 1);
}

Result<SystemInfo> system_info(const Engine& eng) {
  SystemInfo s;
  for (auto& rec : HUSK_TRY(eng.containers().list())) {
    ++s.containers;
    auto live = eng.live_status(rec);
    if (live == LiveStatus::running)
      ++s.running;
    else if (live == LiveStatus::paused)
      ++s.paused;
    else
      ++s.stopped;
  }
  s.images = static_cast<int>(HUSK_TRY(eng.images().list_images()).size());
  s.server_version = build::kVersion;
  s.root_dir = eng.images().root();
  s.run_root = eng.run_root();
  struct statfs fs {};
  s.backing_filesystem =
      ::statfs(s.root_dir.c_str(), &fs) == 0 ? filesystem_name(static_cast<int64_t>(fs.f_type)) : "<unknown>";
  // The runtime's own reading of the host's cgroups: docker calls hybrid
  // hosts version 1, as their controllers are v1's.
  auto layout = HUSK_TRY(cgroups::detect_layout());
  s.cgroup_version = layout.kind == cgroups::LayoutKind::v2 ? 2 : 1;
  if (linux::apparmor_enabled()) s.security_options.push_back("name=apparmor");
  s.security_options.push_back("name=seccomp,profile=default");
  if (linux::selinux_enabled()) s.security_options.push_back("name=selinux");
  auto u = host_uname();
  s.kernel_version = u.release;
  s.architecture = u.machine;
  auto release = read_file("/etc/os-release");
  if (!release) release = read_file("/usr/lib/os-release");
  s.operating_system = release ? os_release(*release, "PRETTY_NAME") : "";
  s.os_version = release ? os_release(*release, "VERSION_ID") : "";
  if (s.operating_system.empty()) s.operating_system = "<unknown>";
  s.cpus = usable_cpus();
  struct sysinfo si {};
  if (::sysinfo(&si) == 0) s.mem_total = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  s.hostname = host;
  return s;
}

json to_json(const SystemInfo& s) {
  json security = json::array();
  for (auto& o : s.security_options) security.push_back(o);
  return {
      {"Containers", s.containers},
      {"ContainersRunning", s.running},
      {"ContainersPaused", s.paused},
      {"ContainersStopped", s.stopped},
      {"Images", s.images},
      {"Driver", "overlay2"},
      {"DriverStatus", json::array({json::array({"Root Dir", s.root_dir}),
                                    json::array({"Backing Filesystem", s.backing_filesystem})})},
      {"Plugins", {{"Volume", {"local"}}, {"Network", {"bridge", "host", "null"}}, {"Log", {"json-file"}}}},
      {"LoggingDriver", "json-file"},
      {"CgroupDriver", "cgroupfs"},
      {"CgroupVersion", std::to_string(s.cgroup_version)},
      {"KernelVersion", s.kernel_version},
      {"OperatingSystem", s.operating_system},
      {"OSVersion", s.os_version},
      {"OSType", "linux"},
      {"Architecture", s.architecture},
      {"NCPU", s.cpus},
      {"MemTotal", s.mem_total},
      {"DockerRootDir", s.root_dir},
      {"HuskRunRoot", s.run_root},
      {"Name", s.hostname},
      {"ServerVersion", s.server_version},
      // The runtime is linked in, not a program the engine runs.
      {"Runtimes", {{"husk-runtime", {{"builtin", true}}}}},
      {"DefaultRuntime", "husk-runtime"},
      {"InitBinary", "husk-init"},
      {"SecurityOptions", security}};
}

std::string info_text(const SystemInfo& s) {
  auto line = [](int indent, const std::string& key, const std::string& value) {
    return std::string(static_cast<size_t>(indent), ' ') + key + ": " + value + "\n";
  };
  std::string t = "Engine:\n";
  t += line(1, "Containers", std::to_string(s.containers));
  t += line(2, "Running", std::to_string(s.running));
  t += line(2, "Paused", std::to_string(s.paused));
  t += line(2, "Stopped", std::to_string(s.stopped));
  t += line(1, "Images", std::to_string(s.images));
  t += line(1, "Server Version", s.server_version);
  t += line(1, "Storage Driver", "overlay2");
  t += line(2, "Root Dir", s.root_dir);
  t += line(2, "Backing Filesystem", s.backing_filesystem);
  t += line(1, "Logging Driver", "json-file");
  t += line(1, "Cgroup Driver", "cgroupfs");
  t += line(1, "Cgroup Version", std::to_string(s.cgroup_version));
  t += " Plugins:\n";
  t += line(2, "Volume", "local");
  t += line(2, "Network", "bridge host null");
  t += line(2, "Log", "json-file");
  t += line(1, "Runtimes", "husk-runtime");
  t += line(1, "Default Runtime", "husk-runtime");
  t += line(1, "Init Binary", "husk-init");
  // docker's: each option's name, then its other key=value pairs beneath,
  // the key capitalised ("name=seccomp,profile=default": seccomp, Profile: default).
  t += " Security Options:\n";
  for (auto& opt : s.security_options) {
    for (auto& kv : split(opt, ',')) {
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (k == "name") {
        t += "  " + v + "\n";
      } else if (!k.empty()) {
        k[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(k[0])));
        t += line(3, k, v);
      }
    }
  }
  t += line(1, "Kernel Version", s.kernel_version);
  t += line(1, "Operating System", s.operating_system);
  t += line(1, "OSType", "linux");
  t += line(1, "Architecture", s.architecture);
  t += line(1, "CPUs", std::to_string(s.cpus));
  t += line(1, "Total Memory", binary_size(s.mem_total));
  t += line(1, "Name", s.hostname);
  t += line(1, "Husk Root Dir", s.root_dir);
  t += line(1, "Husk Run Root", s.run_root);
  return t;
}

}  // namespace husk::engine
