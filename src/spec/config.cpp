// config.json -> spec::Config. Every type error names the JSON field.
#include "spec/config.hpp"

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "spec/capabilities.hpp"
#include "spec/json_fields.hpp"

namespace husk::spec {
namespace {

using json = nlohmann::json;
using namespace json_fields;

Result<std::vector<IdMapping>> get_mappings(const json& j, const char* key, const std::string& where) {
  std::vector<IdMapping> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(field_error(where + key, "must be an array"));
  for (size_t i = 0; i < it->size(); ++i) {
    auto& m = (*it)[i];
    std::string w = where + key + "[" + std::to_string(i) + "].";
    if (!m.is_object()) return fail(field_error(w.substr(0, w.size() - 1), "must be an object"));
    IdMapping idm;
    idm.container_id = HUSK_TRY(get_int<uint32_t>(m, "containerID", w)).value_or(0);
    idm.host_id = HUSK_TRY(get_int<uint32_t>(m, "hostID", w)).value_or(0);
    idm.size = HUSK_TRY(get_int<uint32_t>(m, "size", w)).value_or(0);
    if (idm.size == 0) return fail(field_error(w + "size", "must be greater than 0"));
    out.push_back(idm);
  }
  return out;
}

Result<std::vector<int>> get_caps(const json& j, const char* key, const std::string& where) {
  auto names = HUSK_TRY(get_strings(j, key, where));
  std::vector<int> out;
  for (auto& n : names) {
    auto cap = capability_from_name(n);
    if (!cap) return fail(field_error(where + key, "unknown capability \"" + n + "\""));
    out.push_back(*cap);
  }
  return out;
}

Result<Hook> hook_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return fail(field_error(where, "must be an object"));
  Hook h;
  h.path = HUSK_TRY(get_string(j, "path", where + ".", true));
  h.args = HUSK_TRY(get_strings(j, "args", where + "."));
  h.env = HUSK_TRY(get_strings(j, "env", where + "."));
  h.timeout = HUSK_TRY(get_int<int>(j, "timeout", where + "."));
  if (h.timeout && *h.timeout <= 0) return fail(field_error(where + ".timeout", "must be positive"));
  h.extra = Extra::unknown_members(j, {"path", "args", "env", "timeout"});
  return h;
}

Result<std::vector<Hook>> hook_list(const json& j, const char* key) {
  std::vector<Hook> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(field_error(std::string("hooks.") + key, "must be an array"));
  for (size_t i = 0; i < it->size(); ++i)
    out.push_back(
        HUSK_TRY(hook_from_json((*it)[i], std::string("hooks.") + key + "[" + std::to_string(i) + "]")));
  return out;
}

Result<std::optional<TimeOffset>> time_offset(const json& offsets, const char* clock) {
  auto it = offsets.find(clock);
  if (it == offsets.end() || it->is_null()) return std::optional<TimeOffset>();
  std::string w = std::string("linux.timeOffsets.") + clock + ".";
  if (!it->is_object()) return fail(field_error(w.substr(0, w.size() - 1), "must be an object"));
  TimeOffset t;
  t.secs = HUSK_TRY(get_int<int64_t>(*it, "secs", w)).value_or(0);
  t.nanosecs = HUSK_TRY(get_int<uint32_t>(*it, "nanosecs", w)).value_or(0);
  if (t.nanosecs >= 1000000000u) return fail(field_error(w + "nanosecs", "must be below 1e9"));
  return std::optional<TimeOffset>(t);
}

Result<Linux> linux_from_json(const json& j) {
  Linux l;
  const std::string w = "linux.";
  if (auto* nss = get_object(j, "namespaces")) {
    if (!nss->is_array()) return fail(field_error("linux.namespaces", "must be an array"));
    for (size_t i = 0; i < nss->size(); ++i) {
      std::string nw = "linux.namespaces[" + std::to_string(i) + "].";
      auto& n = (*nss)[i];
      if (!n.is_object()) return fail(field_error(nw.substr(0, nw.size() - 1), "must be an object"));
      auto type = HUSK_TRY(get_string(n, "type", nw, true));
      auto t = namespace_type_from_name(type);
      if (!t) return fail(field_error(nw + "type", "unknown namespace type \"" + type + "\""));
      for (auto& prev : l.namespaces)
        if (prev.type == *t) return fail(field_error(nw + "type", "duplicate namespace \"" + type + "\""));
      l.namespaces.push_back({*t, HUSK_TRY(get_string(n, "path", nw))});
    }
  }
  l.uid_mappings = HUSK_TRY(get_mappings(j, "uidMappings", w));
  l.gid_mappings = HUSK_TRY(get_mappings(j, "gidMappings", w));
  if (auto* to = get_object(j, "timeOffsets")) {
    if (!to->is_object()) return fail(field_error("linux.timeOffsets", "must be an object"));
    for (auto& [k, v] : to->items())
      if (k != "boottime" && k != "monotonic")
        return fail(field_error("linux.timeOffsets." + k, "unknown clock (boottime and monotonic only)"));
    l.boottime_offset = HUSK_TRY(time_offset(*to, "boottime"));
    l.monotonic_offset = HUSK_TRY(time_offset(*to, "monotonic"));
  }
  if (auto* devs = get_object(j, "devices")) {
    if (!devs->is_array()) return fail(field_error("linux.devices", "must be an array"));
    for (size_t i = 0; i < devs->size(); ++i) {
      std::string dw = "linux.devices[" + std::to_string(i) + "].";
      auto& d = (*devs)[i];
      Device dev;
      auto type = HUSK_TRY(get_string(d, "type", dw, true));
      if (type.size() != 1 || std::string("cubp").find(type[0]) == std::string::npos)
        return fail(field_error(dw + "type", "must be one of c, u, b, p"));
      dev.type = type[0];
      dev.path = HUSK_TRY(get_string(d, "path", dw, true));
      dev.major = HUSK_TRY(get_int<int64_t>(d, "major", dw)).value_or(0);
      dev.minor = HUSK_TRY(get_int<int64_t>(d, "minor", dw)).value_or(0);
      dev.file_mode = HUSK_TRY(get_int<uint32_t>(d, "fileMode", dw));
      dev.uid = HUSK_TRY(get_int<uint32_t>(d, "uid", dw));
      dev.gid = HUSK_TRY(get_int<uint32_t>(d, "gid", dw));
      dev.extra = Extra::unknown_members(d, {"type", "path", "major", "minor", "fileMode", "uid", "gid"});
      l.devices.push_back(dev);
    }
  }
  l.cgroups_path = HUSK_TRY(get_string(j, "cgroupsPath", w));
  l.rootfs_propagation = HUSK_TRY(get_string(j, "rootfsPropagation", w));
  l.sysctl = HUSK_TRY(get_string_map(j, "sysctl", w));
  l.masked_paths = HUSK_TRY(get_strings(j, "maskedPaths", w));
  l.readonly_paths = HUSK_TRY(get_strings(j, "readonlyPaths", w));
  l.mount_label = HUSK_TRY(get_string(j, "mountLabel", w));
  if (auto* p = get_object(j, "personality")) {
    if (!p->is_object()) return fail(field_error("linux.personality", "must be an object"));
    Personality per;
    per.domain = HUSK_TRY(get_string(*p, "domain", "linux.personality.", true));
    if (per.domain != "LINUX" && per.domain != "LINUX32")
      return fail(field_error("linux.personality.domain", "must be LINUX or LINUX32"));
    per.extra = Extra::unknown_members(*p, {"domain"});
    l.personality = per;
  }
  if (auto* r = get_object(j, "resources"))
    l.resources = HUSK_TRY(resources_from_json(*r, "linux.resources."));
  if (auto* s = get_object(j, "seccomp")) l.seccomp = HUSK_TRY(seccomp_from_json(*s, "linux.seccomp"));
  l.extra = Extra::unknown_members(j, {"namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices",
                                       "cgroupsPath", "rootfsPropagation", "sysctl", "maskedPaths",
                                       "readonlyPaths", "mountLabel", "personality", "resources", "seccomp"});
  return l;
}

Result<Config> config_from_json(const json& j) {
  if (!j.is_object()) return fail(field_error("config.json", "must be a JSON object"));
  Config c;
  c.oci_version = HUSK_TRY(get_string(j, "ociVersion", "", true));
  const json* root = get_object(j, "root");
  if (!root || !root->is_object()) return fail(field_error("root", "is required"));
  c.root.path = HUSK_TRY(get_string(*root, "path", "root.", true));
  c.root.readonly = HUSK_TRY(get_bool(*root, "readonly", "root."));
  c.root.extra = Extra::unknown_members(*root, {"path", "readonly"});
  if (auto* ms = get_object(j, "mounts")) {
    if (!ms->is_array()) return fail(field_error("mounts", "must be an array"));
    for (size_t i = 0; i < ms->size(); ++i) {
      std::string mw = "mounts[" + std::to_string(i) + "].";
      auto& m = (*ms)[i];
      if (!m.is_object()) return fail(field_error(mw.substr(0, mw.size() - 1), "must be an object"));
      Mount mount;
      mount.destination = HUSK_TRY(get_string(m, "destination", mw, true));
      mount.type = HUSK_TRY(get_string(m, "type", mw));
      mount.source = HUSK_TRY(get_string(m, "source", mw));
      mount.options = HUSK_TRY(get_strings(m, "options", mw));
      mount.uid_mappings = HUSK_TRY(get_mappings(m, "uidMappings", mw));
      mount.gid_mappings = HUSK_TRY(get_mappings(m, "gidMappings", mw));
      mount.extra = Extra::unknown_members(
          m, {"destination", "type", "source", "options", "uidMappings", "gidMappings"});
      c.mounts.push_back(std::move(mount));
    }
  }
  if (auto* p = get_object(j, "process")) c.process = HUSK_TRY(process_from_json(*p));
  c.hostname = HUSK_TRY(get_string(j, "hostname", ""));
  c.domainname = HUSK_TRY(get_string(j, "domainname", ""));
  if (auto* h = get_object(j, "hooks")) c.hooks = HUSK_TRY(hooks_from_json(*h));
  c.annotations = HUSK_TRY(get_string_map(j, "annotations", ""));
  if (auto* l = get_object(j, "linux")) {
    if (!l->is_object()) return fail(field_error("linux", "must be an object"));
    c.linux = HUSK_TRY(linux_from_json(*l));
  }
  c.extra = Extra::unknown_members(j, {"ociVersion", "root", "mounts", "process", "hostname", "domainname",
                                       "hooks", "annotations", "linux"});
  return c;
}

}  // namespace

std::optional<int> rlimit_from_name(std::string_view name) {
  static constexpr std::pair<std::string_view, int> table[] = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  for (auto& [n, v] : table)
    if (n == name) return v;
  return std::nullopt;
}

Result<Process> process_from_json(const json& j) {
  if (!j.is_object()) return fail(field_error("process", "must be an object"));
  const std::string w = "process.";
  Process p;
  p.terminal = HUSK_TRY(get_bool(j, "terminal", w));
  if (auto* cs = get_object(j, "consoleSize")) {
    if (!cs->is_object()) return fail(field_error("process.consoleSize", "must be an object"));
    ConsoleSize s;
    s.height = HUSK_TRY(get_int<unsigned>(*cs, "height", "process.consoleSize.")).value_or(0);
    s.width = HUSK_TRY(get_int<unsigned>(*cs, "width", "process.consoleSize.")).value_or(0);
    p.console_size = s;
  }
  if (auto* u = get_object(j, "user")) {
    if (!u->is_object()) return fail(field_error("process.user", "must be an object"));
    const std::string uw = "process.user.";
    p.user.uid = HUSK_TRY(get_int<uint32_t>(*u, "uid", uw)).value_or(0);
    p.user.gid = HUSK_TRY(get_int<uint32_t>(*u, "gid", uw)).value_or(0);
    p.user.umask = HUSK_TRY(get_int<uint32_t>(*u, "umask", uw));
    p.user.username = HUSK_TRY(get_string(*u, "username", uw));
    if (auto it = u->find("additionalGids"); it != u->end() && !it->is_null()) {
      if (!it->is_array()) return fail(field_error(uw + "additionalGids", "must be an array"));
      for (auto& g : *it) {
        if (!g.is_number_unsigned() || g.get<uint64_t>() > UINT32_MAX)
          return fail(field_error(uw + "additionalGids", "must be an array of gids"));
        p.user.additional_gids.push_back(g.get<uint32_t>());
      }
    }
    p.user.extra = Extra::unknown_members(*u, {"uid", "gid", "umask", "additionalGids", "username"});
  }
  p.args = HUSK_TRY(get_strings(j, "args", w));
  p.env = HUSK_TRY(get_strings(j, "env", w));
  p.cwd = HUSK_TRY(get_string(j, "cwd", w));
  if (p.cwd.empty()) p.cwd = "/";
  if (auto* caps = get_object(j, "capabilities")) {
    if (!caps->is_object()) return fail(field_error("process.capabilities", "must be an object"));
    const std::string cw = "process.capabilities.";
    Capabilities c;
    c.bounding = HUSK_TRY(get_caps(*caps, "bounding", cw));
    c.effective = HUSK_TRY(get_caps(*caps, "effective", cw));
    c.inheritable = HUSK_TRY(get_caps(*caps, "inheritable", cw));
    c.permitted = HUSK_TRY(get_caps(*caps, "permitted", cw));
    c.ambient = HUSK_TRY(get_caps(*caps, "ambient", cw));
    p.capabilities = std::move(c);
  }
  if (auto* rl = get_object(j, "rlimits")) {
    if (!rl->is_array()) return fail(field_error("process.rlimits", "must be an array"));
    for (size_t i = 0; i < rl->size(); ++i) {
      std::string rw = "process.rlimits[" + std::to_string(i) + "].";
      Rlimit r;
      r.type = HUSK_TRY(get_string((*rl)[i], "type", rw, true));
      auto res = rlimit_from_name(r.type);
      if (!res) return fail(field_error(rw + "type", "unknown rlimit \"" + r.type + "\""));
      r.resource = *res;
      r.hard = HUSK_TRY(get_int<uint64_t>((*rl)[i], "hard", rw)).value_or(0);
      r.soft = HUSK_TRY(get_int<uint64_t>((*rl)[i], "soft", rw)).value_or(0);
      for (auto& prev : p.rlimits)
        if (prev.resource == r.resource) return fail(field_error(rw + "type", "duplicate rlimit " + r.type));
      p.rlimits.push_back(r);
    }
  }
  p.no_new_privileges = HUSK_TRY(get_bool(j, "noNewPrivileges", w));
  p.apparmor_profile = HUSK_TRY(get_string(j, "apparmorProfile", w));
  p.oom_score_adj = HUSK_TRY(get_int<int>(j, "oomScoreAdj", w));
  p.selinux_label = HUSK_TRY(get_string(j, "selinuxLabel", w));
  p.extra = Extra::unknown_members(
      j, {"terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "rlimits",
          "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel"});
  return p;
}

Result<Hooks> hooks_from_json(const json& j) {
  if (!j.is_object()) return fail(field_error("hooks", "must be an object"));
  Hooks h;
  h.prestart = HUSK_TRY(hook_list(j, "prestart"));
  h.create_runtime = HUSK_TRY(hook_list(j, "createRuntime"));
  h.create_container = HUSK_TRY(hook_list(j, "createContainer"));
  h.start_container = HUSK_TRY(hook_list(j, "startContainer"));
  h.poststart = HUSK_TRY(hook_list(j, "poststart"));
  h.poststop = HUSK_TRY(hook_list(j, "poststop"));
  h.extra = Extra::unknown_members(
      j, {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"});
  return h;
}

Result<Config> parse_config(std::string_view text) {
  // linux.seccomp is kept as text (dump() recurses): bound the depth first.
  if (nested_too_deep(text))
    return fail_code(EINVAL,
                     "config.json is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail_code(EINVAL, "config.json is not valid JSON");
  Config c = HUSK_TRY(config_from_json(j));
  HUSK_TRY(validate(c));
  return c;
}

Result<Config> load_config(const std::string& path) {
  auto text = read_file(path);
  if (!text) return fail(std::move(text).error());
  return with_context(parse_config(*text), path);
}

Result<Process> parse_process(std::string_view text) {
  // Unknown members are kept as text (dump() recurses): bound the depth first.
  if (nested_too_deep(text))
    return fail_code(EINVAL,
                     "process.json is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail_code(EINVAL, "process.json is not valid JSON");
  Process p = HUSK_TRY(process_from_json(j));
  HUSK_TRY(validate_process(p));
  return p;
}

}  // namespace husk::spec
