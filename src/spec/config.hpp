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
#include "spec/extra.hpp"
#include "spec/namespaces.hpp"
#include "spec/resources.hpp"
#include "spec/seccomp.hpp"

namespace husk::spec {

struct Root {
  std::string path;
  bool readonly = false;
  Extra extra;  // members the model does not know

  bool operator==(const Root&) const = default;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;

  bool operator==(const IdMapping&) const = default;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  Extra extra;  // members the model does not know

  bool operator==(const Mount&) const = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;
  Extra extra;  // members the model does not know

  bool operator==(const User&) const = default;
};

struct Capabilities {
  // Capability numbers, as parsed from CAP_* names.
  std::vector<int> bounding, effective, inheritable, permitted, ambient;

  bool operator==(const Capabilities&) const = default;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* number
  std::string type;  // as written, for messages
  uint64_t hard = 0;
  uint64_t soft = 0;

  bool operator==(const Rlimit&) const = default;
};

struct ConsoleSize {
  unsigned height = 0;
  unsigned width = 0;

  bool operator==(const ConsoleSize&) const = default;
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
  Extra extra;  // members the model does not know

  bool operator==(const Process&) const = default;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
  Extra extra;                 // members the model does not know

  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
  Extra extra;  // members the model does not know

  bool operator==(const Hooks&) const = default;
};

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one

  bool operator==(const Namespace&) const = default;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;

  bool operator==(const TimeOffset&) const = default;
};

struct Device {
  char type = 'c';  // c, u, b, p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  Extra extra;  // members the model does not know

  bool operator==(const Device&) const = default;
};

struct Personality {
  std::string domain;  // LINUX or LINUX32
  Extra extra;         // members the model does not know

  bool operator==(const Personality&) const = default;
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
  Extra extra;  // members the model does not know

  bool operator==(const Linux&) const = default;
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
  Extra extra;  // members the model does not know

  bool operator==(const Config&) const = default;
};

// Parses and validates a config.json document. Errors name the field.
Result<Config> parse_config(std::string_view json_text);
Result<Config> load_config(const std::string& path);
// A process.json for exec: the same "process" object.
Result<Process> parse_process(std::string_view json_text);

// Back to config.json: every field of the model, and each object's unknown
// members as they came (Extra). parse_config reads back an equal Config.
// Indented as runc writes it, with a final newline.
std::string serialize_config(const Config& c);
nlohmann::ordered_json config_to_json(const Config& c);
nlohmann::ordered_json process_to_json(const Process& p);

Result<Process> process_from_json(const nlohmann::json& j);
Result<Hooks> hooks_from_json(const nlohmann::json& j);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; none for a name this libc lacks.
std::optional<int> rlimit_from_name(std::string_view name);

// Semantic checks beyond types: versions, paths, namespace sets, ids.
Result<void> validate(const Config& c);
Result<void> validate_process(const Process& p);
// "1.0.0" .. "1.3.x" (and -rc/-dev suffixes) are accepted.
bool supported_oci_version(std::string_view v);

}  // namespace husk::spec
