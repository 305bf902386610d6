#include "engine/spec.hpp"

#include "engine/namespaces.hpp"
#include "engine/ports.hpp"

namespace husk::engine {

namespace {

// K=V pairs (a bare K is K=""), as docker's --label and --annotation.
Result<void> put_pairs(const std::vector<std::string>& pairs, const char* flag, const std::string& prefix,
                       std::map<std::string, std::string>& into) {
  for (auto& kv : pairs) {
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    if (key.empty()) return fail_code(EINVAL, std::string("invalid ") + flag + " \"" + kv + "\": no key");
    into[prefix + key] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return {};
}

// -p: checked now (docker's messages), published at each start. Only a
// network of the engine's has ports of the host to give (docker discards
// them with the host's network, saying so).
Result<void> check_publish(const SpecContext& ctx, const RunFlags& flags) {
  if (flags.publish.empty() && !flags.publish_all) return {};
  HUSK_TRY(parse_publish(flags.publish));
  auto mode = HUSK_TRY(parse_network_mode(flags.network));
  if (mode.network.empty())
    ctx.warn("Published ports are discarded when using the " + flags.network + " network mode");
  return {};
}

}  // namespace

Result<void> apply_flags(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec) {
  HUSK_TRY(check_publish(ctx, flags));
  HUSK_TRY(apply_resources(ctx, flags, spec));
  HUSK_TRY(apply_security(ctx, flags, spec));
  HUSK_TRY(apply_mounts(ctx, flags, spec));
  HUSK_TRY(apply_namespaces(ctx, flags, spec));
  HUSK_TRY(put_pairs(flags.annotations, "--annotation", "", spec.annotations));
  // Labels are the engine's (inspect shows them); the runtime sees them as
  // annotations, as podman passes them.
  HUSK_TRY(put_pairs(flags.labels, "--label", "io.husk.label.", spec.annotations));
  if (!flags.stop_signal.empty()) spec.annotations["org.opencontainers.image.stopSignal"] = flags.stop_signal;
  return {};
}

}  // namespace husk::engine
