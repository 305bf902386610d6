#include "engine/spec.hpp"

#include <nlohmann/json.hpp>

namespace husk::engine {

namespace {

// K=V pairs (a bare K is K=""), as docker's --label and --annotation.
Result<void> put_pairs(const std::vector<std::string>& pairs, const char* flag, nlohmann::ordered_json& into) {
  for (auto& kv : pairs) {
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    if (key.empty()) return fail_code(EINVAL, std::string("invalid ") + flag + " \"" + kv + "\": no key");
    into[key] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return {};
}

// docker's default capability set (runc's default spec has only three):
// what a `docker run` process holds before --cap-add/--cap-drop.
const char* const kDockerDefaultCaps[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",          "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

void set_docker_default_caps(nlohmann::ordered_json& spec) {
  auto caps = nlohmann::ordered_json::array();
  for (auto* c : kDockerDefaultCaps) caps.push_back(c);
  auto& p = spec["process"]["capabilities"];
  p["bounding"] = caps;
  p["effective"] = caps;
  p["permitted"] = caps;
  // No ambient or inheritable ones: docker gives a non-root user none.
  p.erase("ambient");
  p.erase("inheritable");
}

}  // namespace

Result<void> apply_flags(const SpecContext& ctx, const RunFlags& flags, nlohmann::ordered_json& spec) {
  set_docker_default_caps(spec);
  HUSK_TRY(apply_resources(flags, spec));
  HUSK_TRY(apply_security(ctx, flags, spec));
  HUSK_TRY(apply_mounts(ctx, flags, spec));
  HUSK_TRY(apply_namespaces(ctx, flags, spec));
  auto& annotations = spec["annotations"];
  HUSK_TRY(put_pairs(flags.annotations, "--annotation", annotations));
  // Labels are the engine's (inspect shows them); the runtime sees them as
  // annotations, as podman passes them.
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  HUSK_TRY(put_pairs(flags.labels, "--label", labels));
  for (auto& [k, v] : labels.items()) annotations["io.husk.label." + k] = v;
  if (!flags.stop_signal.empty()) annotations["org.opencontainers.image.stopSignal"] = flags.stop_signal;
  return {};
}

}  // namespace husk::engine
