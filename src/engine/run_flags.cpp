#include "engine/run_flags.hpp"

#include <nlohmann/json.hpp>

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// One list of fields, read and written the same way: the record on disk and
// `inspect` use these names.
template <typename Visit>
void fields(RunFlags& f, Visit&& v) {
  v("Image", f.image);
  v("Cmd", f.command);
  v("Entrypoint", f.entrypoint);
  v("Name", f.name);
  v("Env", f.env);
  v("EnvFiles", f.env_files);
  v("User", f.user);
  v("WorkingDir", f.workdir);
  v("Hostname", f.hostname);
  v("Domainname", f.domainname);
  v("Tty", f.tty);
  v("OpenStdin", f.interactive);
  v("AutoRemove", f.rm);
  v("Detach", f.detach);
  v("DetachKeys", f.detach_keys);
  v("AttachStreams", f.attach);
  v("SigProxy", f.sig_proxy);
  v("Init", f.init);
  v("Labels", f.labels);
  v("Annotations", f.annotations);
  v("StopSignal", f.stop_signal);
  v("StopTimeout", f.stop_timeout);
  v("LogDriver", f.log_driver);
  v("LogOpts", f.log_opts);
  v("RestartPolicyText", f.restart);
  v("GroupAdd", f.group_add);
  v("ContainerIDFile", f.cidfile);
  v("HealthCmd", f.health_cmd);
  v("HealthInterval", f.health_interval);
  v("HealthTimeout", f.health_timeout);
  v("HealthStartPeriod", f.health_start_period);
  v("HealthRetries", f.health_retries);
  v("NoHealthcheck", f.no_healthcheck);
  v("Pull", f.pull);
  v("Platform", f.platform);
  v("CapAdd", f.cap_add);
  v("CapDrop", f.cap_drop);
  v("Privileged", f.privileged);
  v("SecurityOpt", f.security_opt);
  v("Ulimits", f.ulimits);
  v("Sysctls", f.sysctls);
  v("Devices", f.devices);
  v("OomScoreAdj", f.oom_score_adj);
  v("Binds", f.volumes);
  v("Tmpfs", f.tmpfs);
  v("Mounts", f.mounts);
  v("VolumesFrom", f.volumes_from);
  v("ReadonlyRootfs", f.read_only);
  v("IpcMode", f.ipc);
  v("ShmSizeText", f.shm_size);
  v("PidMode", f.pid);
  v("UTSMode", f.uts);
  v("NetworkMode", f.network);
  v("UsernsMode", f.userns);
  v("CgroupnsMode", f.cgroupns);
  v("TimeOffset", f.time_offset);
  v("ExtraHosts", f.add_hosts);
  v("Dns", f.dns);
  v("DnsSearch", f.dns_search);
  v("DnsOptions", f.dns_options);
  v("Publish", f.publish);
  v("PublishAllPorts", f.publish_all);
  v("Expose", f.expose);
}

template <typename T>
void put(json& j, const char* key, const T& value) {
  j[key] = value;
}
template <typename T>
void put(json& j, const char* key, const std::optional<T>& value) {
  j[key] = value ? json(*value) : json(nullptr);
}
template <typename T>
void get(const json& j, const char* key, T& value) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) value = it->get<T>();
}
template <typename T>
void get(const json& j, const char* key, std::optional<T>& value) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) value = it->get<T>();
}

}  // namespace

json to_json(const RunFlags& f) {
  json j = json::object();
  fields(const_cast<RunFlags&>(f), [&](const char* key, auto& value) { put(j, key, value); });
  return j;
}

Result<RunFlags> run_flags_from_json(const json& j) {
  RunFlags f;
  try {
    fields(f, [&](const char* key, auto& value) { get(j, key, value); });
  } catch (const json::exception& e) {
    return fail_code(EINVAL, std::string("the container's run flags: ") + e.what());
  }
  return f;
}

}  // namespace husk::engine
