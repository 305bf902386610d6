// Named volumes, as docker's "local" driver keeps them: ROOT/volumes/NAME
// holds the data (_data, what containers mount) and volume.json (its name,
// labels and creation time). A container's volumes are listed in its own
// directory (containers/ID/volumes.json), so a volume in use by any
// container, running or not, cannot be removed, and `rm -v` knows which
// anonymous volumes went with it. Every change happens under one lock
// (ROOT/volumes/.lock); a volume appears by rename, whole or not at all.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"

namespace husk::engine {

// docker marks the volumes it makes for `-v /dir` with this label; prune
// without --all removes only those.
inline constexpr std::string_view kAnonymousLabel = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string created;  // RFC 3339
  std::map<std::string, std::string> labels;
  std::string mountpoint;  // ROOT/volumes/NAME/_data
  bool anonymous() const { return labels.contains(std::string(kAnonymousLabel)); }
};

// `volume inspect`'s shape: CreatedAt, Driver, Labels, Mountpoint, Name,
// Options, Scope.
nlohmann::ordered_json to_json(const Volume& v);

// docker's local driver names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
Result<void> validate_volume_name(const std::string& name);

class VolumeStore {
 public:
  // ROOT: the store (volumes in ROOT/volumes, containers in ROOT/containers).
  explicit VolumeStore(std::string root) : root_(std::move(root)) {}

  std::string dir(const std::string& name) const { return root_ + "/volumes/" + name; }
  std::string data_dir(const std::string& name) const { return dir(name) + "/_data"; }

  // Makes NAME with LABELS; an existing NAME is returned as it is (docker's
  // `volume create` is idempotent). CREATED says whether it is new.
  Result<Volume> create(const std::string& name, const std::map<std::string, std::string>& labels,
                        bool* created = nullptr) const;
  Result<Volume> get(const std::string& name) const;
  Result<std::vector<Volume>> list() const;  // by name
  // Refused (EBUSY) while a container uses it.
  Result<void> remove(const std::string& name) const;
  // Unused volumes (anonymous ones only unless ALL) that TAKE takes (none:
  // every one); the removed ones and the bytes they held.
  Result<std::vector<std::string>> prune(bool all, unsigned long long* reclaimed = nullptr,
                                         const std::function<bool(const Volume&)>& take = {}) const;

  // Copies SRC (a directory fd: the image's files at the mount target) into
  // NAME when NAME holds nothing yet, with SRC's mode and owner on the
  // volume's root: what docker does for a volume mounted over image content.
  Result<void> seed(const std::string& name, int src) const;

  // The ids of the containers that use NAME.
  Result<std::vector<std::string>> users(const std::string& name) const;
  // Records that container ID uses NAMES (before they are made, so that a
  // remove racing with the create sees the user).
  Result<void> set_users(const std::string& container_id, const std::vector<std::string>& names) const;
  // The anonymous volumes container ID uses (read before it is removed).
  std::vector<std::string> anonymous_of(const std::string& container_id) const;
  // Removes those of NAMES that are anonymous and used by no container: `rm
  // -v`, --rm. What cannot be removed stays (docker only warns).
  void remove_unused_anonymous(const std::vector<std::string>& names) const;

 private:
  Result<Volume> read(const std::string& name) const;
  std::string users_file(const std::string& container_id) const;
  Result<void> remove_locked(const std::string& name) const;

  std::string root_;
};

// How many bytes a tree holds (regular files' sizes), for prune's report.
unsigned long long tree_bytes(const std::string& path);

}  // namespace husk::engine
