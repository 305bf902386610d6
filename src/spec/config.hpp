// The OCI runtime-spec config.json as a typed, immutable model. Parsed and
// validated once at the edge (parse_config); everything else reads structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "spec/namespaces.hpp"
#include "spec/resources.hpp"
#include "spec/seccomp.hpp"

namespace husk::spec {

struct Root {
  std::string path;
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;
};

struct Capabilities {
  // Capability numbers, as parsed from CAP_* names.
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* number
  std::string type;  // as written, for messages
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct ConsoleSize {
  unsigned height = 0;
  unsigned width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Device {
  char type = 'c';  // c, u, b, p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct Personality {
  std::string domain;  // LINUX or LINUX32
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::optional<TimeOffset> boottime_offset;
  std::optional<TimeOffset> monotonic_offset;
  std::vector<Device> devices;
  std::string cgroups_path;
  std::string rootfs_propagation;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::optional<Personality> personality;
  std::optional<Resources> resources;
  std::optional<Seccomp> seccomp;  // none: no filter

  const Namespace* find_namespace(NamespaceType t) const {
    for (auto& ns : namespaces)
      if (ns.type == t) return &ns;
    return nullptr;
  }
};

struct Config {
  std::string oci_version;
  Root root;
  std::vector<Mount> mounts;
  std::optional<Process> process;
  std::string hostname;
  std::string domainname;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;
};

// Parses and validates a config.json document. Errors name the field.
Result<Config> parse_config(std::string_view json_text);
Result<Config> load_config(const std::string& path);
// A process.json for exec: the same "process" object.
Result<Process> parse_process(std::string_view json_text);

Result<Process> process_from_json(const nlohmann::json& j);
Result<Hooks> hooks_from_json(const nlohmann::json& j);

// Semantic checks beyond types: versions, paths, namespace sets, ids.
Result<void> validate(const Config& c);
Result<void> validate_process(const Process& p);
// "1.0.0" .. "1.3.x" (and -rc/-dev suffixes) are accepted.
bool supported_oci_version(std::string_view v);

}  // namespace husk::spec
