// What `husk container prune`, `image prune` and `system prune` remove
// (engine/system.hpp): the library's, so that system prune runs the same
// code as each prune of its own.
#include <algorithm>
#include <set>

#include "engine/system.hpp"
#include "engine/volumes.hpp"

namespace husk::engine {

Result<PruneReport> prune_containers(const Engine& eng) {
  PruneReport report;
  for (auto& rec : HUSK_TRY(eng.containers().list())) {
    auto live = eng.live_status(rec);
    if (live == LiveStatus::running || live == LiveStatus::paused) continue;
    uint64_t size = tree_bytes(eng.containers().dir(rec.id) + "/upper");
    // One that started meanwhile is refused by remove and stays.
    if (auto r = eng.remove(rec.id, false); !r) {
      report.warnings.push_back(r.error().what());
      continue;
    }
    report.removed.push_back(rec.id);
    report.reclaimed += size;
  }
  return report;
}

Result<PruneReport> prune_images(const Engine& eng, bool all) {
  const image::Store& store = eng.images();
  PruneReport report;
  std::set<std::string> in_use;  // the ids of images containers were made from
  if (all)
    for (auto& rec : HUSK_TRY(eng.containers().list())) in_use.insert(rec.image_id);
  for (auto& img : HUSK_TRY(store.list_images())) {
    // Dangling: loaded without a name, kept under its digest.
    bool dangling =
        std::all_of(img.names.begin(), img.names.end(), [](auto& n) { return n.starts_with("sha256:"); });
    if (!dangling && (!all || in_use.contains(img.id().str()))) continue;
    // A bundle made from it keeps its content: the gc below sees it.
    auto names = HUSK_TRY(store.untag(img.manifest_digest.str(), true));
    if (!dangling)
      for (auto& n : names)
        if (!n.starts_with("sha256:")) {
          auto ref = image::parse_reference(n);
          report.removed.push_back("untagged: " + (ref ? ref->familiar() : n));
        }
    report.removed.push_back("deleted: image " + img.id().str());
  }
  auto gc = HUSK_TRY(store.gc());
  for (auto& r : gc.removed) report.removed.push_back("deleted: " + r);
  report.reclaimed = gc.bytes;
  return report;
}

std::vector<std::string> system_prune_warnings(const SystemPruneOptions& opts) {
  // docker's, less its build cache: husk builds no images.
  std::vector<std::string> w = {"all stopped containers", "all networks not used by at least one container"};
  if (opts.volumes) w.push_back("all volumes not used by at least one container");
  w.push_back(opts.all ? "all images without at least one container associated to them"
                       : "all dangling images");
  return w;
}

Result<SystemPruneReport> prune_system(const Engine& eng, const SystemPruneOptions& opts) {
  SystemPruneReport r;
  r.containers = HUSK_TRY(prune_containers(eng));
  r.networks.removed = HUSK_TRY(eng.prune_networks());
  if (opts.volumes) {
    // docker 20.10's system prune takes every unused volume, named or not.
    unsigned long long bytes = 0;
    r.volumes.removed = HUSK_TRY(VolumeStore(eng.images().root()).prune(true, &bytes));
    r.volumes.reclaimed = bytes;
  }
  r.images = HUSK_TRY(prune_images(eng, opts.all));
  return r;
}

}  // namespace husk::engine
