// `husk commit`'s engine side (and the container lookup export shares):
// which container, what its new image's config is (docker's: the
// container's settings, then the --change instructions), and the pause a
// running one gets while its upper dir is read. The layer's tar and the
// image itself are the image module's (image/tar_stream.hpp,
// image/commit.hpp), which the engine does not link. Export's root is
// engine/copy.hpp's ContainerRoot::open_filesystem.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "image/oci.hpp"

namespace husk::engine {

// The container NAME_OR_ID names; ENOENT is docker's "No such container: X".
Result<ContainerRecord> find_container(const Engine& eng, const std::string& name_or_id);

// docker commit --change: each a Dockerfile instruction, applied in order to
// CONFIG. CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME,
// WORKDIR, their JSON or shell forms as a Dockerfile has them; ENTRYPOINT
// clears the cmd unless a CMD came before it (as a build does). Anything
// else is docker's "X is not a valid change command" (EINVAL). No $VAR
// substitution (docker would expand from the config's Env).
Result<void> apply_changes(image::RunConfig& config, const std::vector<std::string>& changes);

// The config docker commits for REC, a container of an image whose config
// is IMAGE: the image's under what the container was made with (its
// entrypoint and cmd, env, working dir, user, exposed ports, labels, stop
// signal).
image::RunConfig container_run_config(const Engine& eng, const ContainerRecord& rec,
                                      const image::RunConfig& image);

// What a commit reads: the container, its image, its overlay upper dir, and
// the new image's config (container_run_config with CHANGES applied).
struct CommitSource {
  ContainerRecord rec;
  image::StoredImage image;
  std::string upper;
  image::RunConfig config;
};
Result<CommitSource> commit_source(const Engine& eng, const std::string& name_or_id,
                                   const std::vector<std::string>& changes);

// A running container frozen for as long as this lives (commit's --pause):
// its upper dir then holds still while it is read. A paused or stopped one
// is left as it is.
class PauseGuard {
 public:
  static Result<PauseGuard> freeze(const Engine& eng, const ContainerRecord& rec);
  PauseGuard(PauseGuard&& o) noexcept : eng_(std::exchange(o.eng_, nullptr)), id_(std::move(o.id_)) {}
  PauseGuard& operator=(PauseGuard&&) = delete;
  ~PauseGuard() { (void)thaw(); }
  // Thaws it now (the destructor would, dropping the error).
  Result<void> thaw();

 private:
  PauseGuard() = default;
  const Engine* eng_ = nullptr;  // set while we hold it frozen
  std::string id_;
};

}  // namespace husk::engine
