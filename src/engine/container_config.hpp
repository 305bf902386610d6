// From an image and docker's run options to the container's config.json, the
// way docker and podman turn an image into a container: the process
// (entrypoint + cmd, env, user, working dir) from the image with the
// overrides, the image's annotations, then docker's flags (engine/spec.hpp)
// through CUSTOMIZE. The image module makes the root filesystem the
// container runs on (image/bundle.hpp); the engine makes the container.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/store.hpp"
#include "spec/config.hpp"

namespace husk::engine {

struct ContainerOptions {
  std::string id;                                      // the container's id (the hostname's default)
  std::optional<std::vector<std::string>> command;     // replaces the image's cmd (docker run IMAGE CMD...)
  std::optional<std::vector<std::string>> entrypoint;  // replaces the image's entrypoint
  std::vector<std::string> env;                        // K=V, after the image's
  std::string user;                                    // replaces the image's user: "uid[:gid]" or names
  std::vector<std::string> group_add;                  // --group-add: more groups, names or gids
  std::string workdir;                                 // replaces the image's working dir
  bool terminal = false;
  std::string hostname;  // default: the id, cut to 63 characters
  // Last word on the config.json made from the image: the engine applies
  // docker's flags here, with the root mounted at ROOTFS.
  std::function<Result<void>(spec::Config& spec, const std::string& rootfs)> customize;
};

// The process args docker would run: entrypoint + cmd, with the overrides.
// EINVAL when the result is empty ("no command specified").
Result<std::vector<std::string>> container_args(const image::RunConfig& image, const ContainerOptions& opts);

// The text of BUNDLE/config.json for a container of IMAGE, its root mounted
// at BUNDLE/rootfs (the user is resolved inside it).
Result<std::string> make_config(const image::StoredImage& image, const std::string& bundle,
                                const ContainerOptions& opts);

}  // namespace husk::engine
