#include "spec/state.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace husk::spec {

using ojson = nlohmann::ordered_json;

Result<void> validate_id(const std::string& id) {
  if (id.empty()) return fail_code(EINVAL, "container id must not be empty");
  if (id == "." || id == "..") return fail_code(EINVAL, "invalid container id \"" + id + "\"");
  if (id.size() > 1024) return fail_code(EINVAL, "container id is longer than 1024 characters");
  for (char c : id) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.'))
      return fail_code(EINVAL,
                       "invalid container id \"" + id + "\": only letters, digits and _+-. are allowed");
  }
  return {};
}

std::string status_name(Status s) {
  switch (s) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::paused:
      return "paused";
    case Status::stopped:
      return "stopped";
  }
  return "unknown";
}

namespace {
ojson spec_fields(const State& s) {
  ojson j;
  j["ociVersion"] = s.oci_version;
  j["id"] = s.id;
  j["pid"] = s.status == Status::stopped ? 0 : s.pid;
  j["status"] = status_name(s.status);
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  j["owner"] = s.owner;
  j["annotations"] = s.annotations;
  return j;
}
}  // namespace

std::string state_to_spec_json(const State& s) { return spec_fields(s).dump(2); }

std::string container_process_state_json(const State& s, int pid, const std::string& metadata) {
  ojson j;
  j["ociVersion"] = s.oci_version;
  j["fds"] = {"seccompFd"};
  j["pid"] = pid;
  if (!metadata.empty()) j["metadata"] = metadata;
  j["state"] = spec_fields(s);
  return j.dump();
}

std::string state_to_store_json(const State& s) {
  ojson j = spec_fields(s);
  j["pid"] = s.pid;
  j["husk"] = {{"pidStartTime", s.pid_start_time},
               {"cgroupPath", s.cgroup_path},
               {"systemdCgroup", s.systemd_cgroup},
               {"pidNamespaceOwned", s.pid_namespace_owned},
               {"startFd", s.start_fd}};
  return j.dump();
}

Result<State> state_from_store_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail_code(EINVAL, "state.json is not valid JSON");
  try {
    State s;
    s.oci_version = j.value("ociVersion", "");
    s.id = j.at("id").get<std::string>();
    s.pid = j.value("pid", 0);
    auto st = j.value("status", "");
    s.status = st == "created"   ? Status::created
               : st == "running" ? Status::running
               : st == "paused"  ? Status::paused
               : st == "stopped" ? Status::stopped
                                 : Status::creating;
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.created = j.value("created", "");
    s.owner = j.value("owner", "");
    if (j.contains("annotations") && j["annotations"].is_object())
      s.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    if (auto h = j.find("husk"); h != j.end() && h->is_object()) {
      s.pid_start_time = h->value("pidStartTime", 0ULL);
      s.cgroup_path = h->value("cgroupPath", "");
      s.systemd_cgroup = h->value("systemdCgroup", false);
      s.pid_namespace_owned = h->value("pidNamespaceOwned", true);
      s.start_fd = h->value("startFd", -1);
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return fail_code(EINVAL, std::string("state.json: ") + e.what());
  }
}

}  // namespace husk::spec
