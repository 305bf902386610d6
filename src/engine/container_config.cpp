// The image's run config and docker's overrides -> config.json.
#include "engine/container_config.hpp"

#include <algorithm>

#include "image/bundle.hpp"
#include "spec/default_spec.hpp"

namespace husk::engine {

namespace {

constexpr std::string_view kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> merged_env(const image::RunConfig& image, const ContainerOptions& opts) {
  std::vector<std::string> env = image.env;
  auto key = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  bool has_path = false;
  for (auto& e : env) has_path |= key(e) == "PATH";
  if (!has_path) env.insert(env.begin(), std::string(kDefaultPath));
  if (opts.terminal) env.push_back("TERM=xterm");
  for (auto& add : opts.env) {
    bool replaced = false;
    for (auto& e : env)
      if (key(e) == key(add)) {
        e = add;
        replaced = true;
      }
    if (!replaced) env.push_back(add);
  }
  return env;
}

}  // namespace

Result<std::vector<std::string>> container_args(const image::RunConfig& image, const ContainerOptions& opts) {
  std::vector<std::string> args = opts.entrypoint ? *opts.entrypoint : image.entrypoint;
  // docker: a new entrypoint drops the image's cmd; an explicit command replaces it.
  if (opts.command && !opts.command->empty())
    args.insert(args.end(), opts.command->begin(), opts.command->end());
  else if (!opts.entrypoint)
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  if (args.empty()) return fail_code(EINVAL, "no command specified: the image has no entrypoint or cmd");
  return args;
}

Result<std::string> make_config(const image::StoredImage& image, const std::string& bundle,
                                const ContainerOptions& opts) {
  const image::RunConfig& rc = image.config.config;
  std::string rootfs = bundle + "/rootfs";
  // The image's own problems (a user it lacks) name the bundle; the
  // customize step speaks for itself (docker's flag messages).
  auto args = HUSK_TRY_CTX(container_args(rc, opts), "bundle " + bundle);
  auto user =
      HUSK_TRY_CTX(image::resolve_user(rootfs, opts.user.empty() ? rc.user : opts.user), "bundle " + bundle);
  // After the user's own groups, as docker's.
  for (auto gid : HUSK_TRY(image::resolve_groups(rootfs, opts.group_add)))
    if (std::find(user.additional_gids.begin(), user.additional_gids.end(), gid) ==
        user.additional_gids.end())
      user.additional_gids.push_back(gid);
  spec::Config spec = spec::default_config(false, 0, 0);
  spec::Process& p = spec.process.value();
  p.terminal = opts.terminal;
  p.user = spec::User{.uid = user.uid, .gid = user.gid, .additional_gids = user.additional_gids};
  p.args = std::move(args);
  p.env = merged_env(rc, opts);
  p.cwd = !opts.workdir.empty() ? opts.workdir : !rc.working_dir.empty() ? rc.working_dir : "/";
  spec.root = spec::Root{.path = "rootfs", .readonly = false};
  spec.hostname = opts.hostname.empty() ? opts.id.substr(0, 63) : opts.hostname;
  spec.annotations = {{"org.opencontainers.image.ref.name", image.names.empty() ? "" : image.names.front()},
                      {"io.husk.image.id", image.id().str()},
                      {"io.husk.image.manifest", image.manifest_digest.str()}};
  if (!rc.stop_signal.empty()) spec.annotations["org.opencontainers.image.stopSignal"] = rc.stop_signal;
  if (opts.customize) HUSK_TRY(opts.customize(spec, rootfs));
  return spec::serialize_config(spec);
}

}  // namespace husk::engine
