// spec::Config -> config.json: every field of the model in the runtime-spec's
// spelling, and each object's unknown members as they came. What is written
// is what parse_config reads back: parse(serialize(c)) == c.
#include <nlohmann/json.hpp>

#include "spec/capabilities.hpp"
#include "spec/config.hpp"

namespace husk::spec {
namespace {

using ojson = nlohmann::ordered_json;

template <typename T>
void put_if(ojson& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void put_if(ojson& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
template <typename T>
void put_if(ojson& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}
void put_if(ojson& j, const char* key, const std::map<std::string, std::string>& v) {
  if (!v.empty()) j[key] = v;
}

ojson mappings_json(const std::vector<IdMapping>& maps) {
  ojson out = ojson::array();
  for (auto& m : maps) out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  return out;
}

void put_mappings(ojson& j, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
  if (!uids.empty()) j["uidMappings"] = mappings_json(uids);
  if (!gids.empty()) j["gidMappings"] = mappings_json(gids);
}

ojson mount_json(const Mount& m) {
  ojson j = {{"destination", m.destination}};
  put_if(j, "type", m.type);
  put_if(j, "source", m.source);
  put_if(j, "options", m.options);
  put_mappings(j, m.uid_mappings, m.gid_mappings);
  m.extra.put_into(j);
  return j;
}

ojson user_json(const User& u) {
  ojson j = {{"uid", u.uid}, {"gid", u.gid}};
  put_if(j, "umask", u.umask);
  put_if(j, "additionalGids", u.additional_gids);
  put_if(j, "username", u.username);
  u.extra.put_into(j);
  return j;
}

void put_caps(ojson& j, const char* key, const std::vector<int>& caps) {
  if (caps.empty()) return;
  auto& names = j[key] = ojson::array();
  for (int cap : caps) names.push_back(capability_name(cap));
}

ojson capabilities_json(const Capabilities& c) {
  ojson j = ojson::object();
  put_caps(j, "bounding", c.bounding);
  put_caps(j, "effective", c.effective);
  put_caps(j, "inheritable", c.inheritable);
  put_caps(j, "permitted", c.permitted);
  put_caps(j, "ambient", c.ambient);
  return j;
}

ojson hook_list_json(const std::vector<Hook>& hooks) {
  ojson out = ojson::array();
  for (auto& h : hooks) {
    ojson j = {{"path", h.path}};
    put_if(j, "args", h.args);
    put_if(j, "env", h.env);
    put_if(j, "timeout", h.timeout);
    h.extra.put_into(j);
    out.push_back(std::move(j));
  }
  return out;
}

ojson hooks_json(const Hooks& h) {
  ojson j = ojson::object();
  for (auto& [key, list] : {std::pair{"prestart", &h.prestart},
                            {"createRuntime", &h.create_runtime},
                            {"createContainer", &h.create_container},
                            {"startContainer", &h.start_container},
                            {"poststart", &h.poststart},
                            {"poststop", &h.poststop}})
    if (!list->empty()) j[key] = hook_list_json(*list);
  h.extra.put_into(j);
  return j;
}

ojson device_json(const Device& d) {
  ojson j = {{"path", d.path}, {"type", std::string(1, d.type)}, {"major", d.major}, {"minor", d.minor}};
  put_if(j, "fileMode", d.file_mode);
  put_if(j, "uid", d.uid);
  put_if(j, "gid", d.gid);
  d.extra.put_into(j);
  return j;
}

ojson time_offset_json(const TimeOffset& t) { return {{"secs", t.secs}, {"nanosecs", t.nanosecs}}; }

ojson linux_json(const Linux& l) {
  ojson j = ojson::object();
  if (l.resources) j["resources"] = resources_json(*l.resources);
  put_if(j, "cgroupsPath", l.cgroups_path);
  if (!l.namespaces.empty()) {
    auto& nss = j["namespaces"] = ojson::array();
    for (auto& ns : l.namespaces) {
      ojson n = {{"type", namespace_type_name(ns.type)}};
      put_if(n, "path", ns.path);
      nss.push_back(std::move(n));
    }
  }
  put_mappings(j, l.uid_mappings, l.gid_mappings);
  if (l.boottime_offset || l.monotonic_offset) {
    auto& to = j["timeOffsets"] = ojson::object();
    if (l.boottime_offset) to["boottime"] = time_offset_json(*l.boottime_offset);
    if (l.monotonic_offset) to["monotonic"] = time_offset_json(*l.monotonic_offset);
  }
  if (!l.devices.empty()) {
    auto& devs = j["devices"] = ojson::array();
    for (auto& d : l.devices) devs.push_back(device_json(d));
  }
  put_if(j, "rootfsPropagation", l.rootfs_propagation);
  put_if(j, "sysctl", l.sysctl);
  put_if(j, "maskedPaths", l.masked_paths);
  put_if(j, "readonlyPaths", l.readonly_paths);
  put_if(j, "mountLabel", l.mount_label);
  if (l.personality) {
    ojson p = {{"domain", l.personality->domain}};
    l.personality->extra.put_into(p);
    j["personality"] = std::move(p);
  }
  if (l.seccomp) j["seccomp"] = seccomp_to_json(*l.seccomp);
  l.extra.put_into(j);
  return j;
}

}  // namespace

nlohmann::ordered_json process_to_json(const Process& p) {
  ojson j = {{"terminal", p.terminal}};
  if (p.console_size) j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  j["user"] = user_json(p.user);
  j["args"] = p.args;
  put_if(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) j["capabilities"] = capabilities_json(*p.capabilities);
  if (!p.rlimits.empty()) {
    auto& list = j["rlimits"] = ojson::array();
    for (auto& r : p.rlimits) list.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
  }
  if (p.no_new_privileges) j["noNewPrivileges"] = true;
  put_if(j, "apparmorProfile", p.apparmor_profile);
  put_if(j, "oomScoreAdj", p.oom_score_adj);
  put_if(j, "selinuxLabel", p.selinux_label);
  p.extra.put_into(j);
  return j;
}

nlohmann::ordered_json config_to_json(const Config& c) {
  ojson j = {{"ociVersion", c.oci_version}};
  if (c.process) j["process"] = process_to_json(*c.process);
  ojson root = {{"path", c.root.path}, {"readonly", c.root.readonly}};
  c.root.extra.put_into(root);
  j["root"] = std::move(root);
  put_if(j, "hostname", c.hostname);
  put_if(j, "domainname", c.domainname);
  if (!c.mounts.empty()) {
    auto& mounts = j["mounts"] = ojson::array();
    for (auto& m : c.mounts) mounts.push_back(mount_json(m));
  }
  if (!c.hooks.empty() || !c.hooks.extra.empty()) j["hooks"] = hooks_json(c.hooks);
  put_if(j, "annotations", c.annotations);
  j["linux"] = linux_json(c.linux);
  c.extra.put_into(j);
  return j;
}

std::string serialize_config(const Config& c) { return config_to_json(c).dump(2) + "\n"; }

}  // namespace husk::spec
