// docker's storage flags as the container's mounts: -v/--volume,
// --mount, --tmpfs (and --read-only, in apply_mounts). Parsing and
// validation are pure, so one bad spec is one clear error before anything
// is made; apply_mounts (spec.hpp) then makes what they need (volumes,
// missing -v host dirs) and writes the OCI mounts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/run_flags.hpp"
#include "spec/config.hpp"

namespace husk::engine {

enum class MountType { bind, volume, tmpfs };

struct MountRequest {
  MountType type = MountType::volume;
  std::string source;  // bind: the host path; volume: its name ("" = a new anonymous one)
  std::string target;  // absolute, cleaned
  bool readonly = false;
  std::string propagation;                    // bind: "" is docker's rprivate
  bool nonrecursive = false;                  // bind-nonrecursive: "bind", not "rbind"
  bool nocopy = false;                        // volume: not seeded from the image
  bool create_source = false;                 // -v HOST:CTR: a missing HOST dir is made (--mount refuses it)
  std::map<std::string, std::string> labels;  // volume-label, for a volume this makes
  std::vector<std::string> tmpfs_options;     // tmpfs: the user's, before docker's defaults
};

// -v [SOURCE:]TARGET[:MODE]: SOURCE absolute (or ./relative) is a bind, a
// name a named volume, none an anonymous volume; MODE is ro|rw, z|Z,
// nocopy, a propagation, a consistency (each at most once).
Result<MountRequest> parse_volume_flag(const std::string& spec);
// --mount type=bind|volume|tmpfs,source=,target=,readonly,bind-propagation=,
// bind-nonrecursive,volume-nocopy,volume-label=K=V,tmpfs-size=,tmpfs-mode=.
Result<MountRequest> parse_mount_flag(const std::string& spec);
// --tmpfs DIR[:OPTIONS].
Result<MountRequest> parse_tmpfs_flag(const std::string& spec);

// Every storage flag of FLAGS, -v then --mount then --tmpfs, each checked
// (named volumes' names, --mount binds' sources) and no target twice.
Result<std::vector<MountRequest>> mount_requests(const RunFlags& flags);

// --volumes-from CONTAINER[:MODE]: MODE is ro or rw (and z|Z, ignored);
// ro makes every mount taken read-only, rw keeps each as it is (docker's
// rule: a read-only mount stays read-only).
struct VolumesFrom {
  std::string container;
  bool readonly = false;
};
Result<VolumesFrom> parse_volumes_from(const std::string& spec);

// The mounts --volumes-from takes from DONOR (its config.json): its volumes
// and binds (docker's MountPoints), at the same targets, read-only when they
// were or when READONLY; not the engine's own binds of it (the /etc files
// and /dev/shm in DONOR_DIR, /dev/init) nor the runtime's defaults.
// VOLUMES_DIR: ROOT/volumes, whose NAME/_data are the named volumes.
std::vector<MountRequest> donor_mounts(const spec::Config& donor, const std::string& donor_dir,
                                       const std::string& volumes_dir, bool readonly);

// The image's VOLUMEs that no flag mounts over join REQUESTS as anonymous
// volumes (seeded from the image), after the flags' mounts, as docker's.
void add_image_volumes(std::vector<MountRequest>& requests, const std::vector<std::string>& image_volumes);

// docker's tmpfs options: noexec,nosuid,nodev,rprivate, then USER's, the
// last of each kind winning (ro/rw, exec/noexec, one propagation, size=...).
Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& user);

// The OCI mount of R; SOURCE is the host path a bind or volume mounts.
Result<spec::Mount> oci_mount(const MountRequest& r, const std::string& source);
// USER's mounts into SPEC as docker orders them: the default mounts they
// cover (same target; all of /dev/* under a /dev of theirs) go, theirs
// follow, parents before children.
void put_mounts(spec::Config& spec, std::vector<spec::Mount> user);

}  // namespace husk::engine
