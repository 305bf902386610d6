// --init: husk-init as the container's PID 1, the command its child. It is
// bound read-only from beside husk, so every container runs the same init
// and the image needs none.
#include <unistd.h>

#include "engine/namespaces.hpp"
#include "engine/spec.hpp"

namespace husk::engine {

std::string init_binary_beside(const std::string& husk_binary) {
  auto slash = husk_binary.rfind('/');
  std::string dir = slash == std::string::npos ? "." : husk_binary.substr(0, slash);
  return dir + "/husk-init";
}

Result<void> apply_init(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  if (!f.init) return {};
  std::string init = init_binary_beside(ctx.husk_binary);
  if (::access(init.c_str(), X_OK) < 0)
    return fail_errno("--init: " + init + " (husk-init belongs beside husk)");
  spec::Mount m;
  m.destination = kInitInContainer;
  m.type = "bind";
  m.source = init;
  m.options = {"bind", "ro", "nosuid", "nodev"};
  spec.mounts.push_back(std::move(m));
  auto& args = spec.process.value().args;
  args.insert(args.begin(), {std::string(kInitInContainer), "--"});
  return {};
}

}  // namespace husk::engine
