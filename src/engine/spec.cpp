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

}  // namespace

Result<void> apply_flags(const SpecContext& ctx, const RunFlags& flags, nlohmann::ordered_json& spec) {
  HUSK_TRY(apply_resources(ctx, flags, spec));
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
