// What `husk container prune`, `image prune` and `system prune` remove
// (engine/system.hpp): the library's, so that system prune runs the same
// code as each prune of its own.
#include <algorithm>
#include <set>

#include "base/time.hpp"
#include "engine/inspect.hpp"
#include "engine/logs.hpp"
#include "engine/system.hpp"
#include "engine/volumes.hpp"

namespace husk::engine {

Result<PruneFilter> PruneFilter::parse(const std::vector<std::string>& args, int64_t now_ns) {
  PruneFilter f;
  for (auto& a : args) {
    auto eq = a.find('=');
    std::string key = a.substr(0, eq), value = eq == std::string::npos ? "" : a.substr(eq + 1);
    bool negated = key.ends_with("!");
    if (negated) key.pop_back();
    if (eq == std::string::npos || (key != "until" && key != "label") || (negated && key != "label"))
      return fail(
          Error(EINVAL, "invalid filter '" + a.substr(0, eq) + "'", false, ErrorKind::invalid_argument));
    if (key == "until") {
      auto t = parse_log_time_arg(value, now_ns);
      if (!t)
        return fail(Error(EINVAL, "invalid filter 'until=" + value + "': " + t.error().what(), false,
                          ErrorKind::invalid_argument));
      f.until_ = *t;
      continue;
    }
    auto veq = value.find('=');
    f.labels_.push_back({value.substr(0, veq),
                         veq == std::string::npos ? std::nullopt : std::optional(value.substr(veq + 1)),
                         negated});
  }
  return f;
}

bool PruneFilter::matches(const std::string& created,
                          const std::map<std::string, std::string>& labels) const {
  if (until_) {
    auto t = parse_rfc3339_nanos(created);
    if (!t || *t >= *until_) return false;
  }
  for (auto& l : labels_) {
    auto it = labels.find(l.key);
    bool has = it != labels.end() && (!l.value || it->second == *l.value);
    if (has == l.negated) return false;
  }
  return true;
}

Result<PruneReport> prune_containers(const Engine& eng, const PruneFilter& filter) {
  PruneReport report;
  for (auto& rec : HUSK_TRY(eng.containers().list())) {
    auto live = eng.live_status(rec);
    if (live == LiveStatus::running || live == LiveStatus::paused) continue;
    if (!filter.matches(rec.created, container_labels(eng, rec))) continue;
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

Result<PruneReport> prune_images(const Engine& eng, bool all, const PruneFilter& filter) {
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
    if (!filter.matches(img.config.created, img.config.config.labels)) continue;
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

Result<void> check_system_prune(const SystemPruneOptions& opts) {
  if (opts.volumes && opts.filter.has_until())
    return fail(Error(EINVAL, "ERROR: The \"until\" filter is not supported with \"--volumes\"", false,
                      ErrorKind::invalid_argument));
  return {};
}

Result<SystemPruneReport> prune_system(const Engine& eng, const SystemPruneOptions& opts) {
  SystemPruneReport r;
  HUSK_TRY(check_system_prune(opts));
  r.containers = HUSK_TRY(prune_containers(eng, opts.filter));
  r.networks.removed = HUSK_TRY(
      eng.prune_networks([&](const Network& n) { return opts.filter.matches(n.created, n.labels); }));
  if (opts.volumes) {
    // docker 20.10's system prune takes every unused volume, named or not.
    unsigned long long bytes = 0;
    r.volumes.removed = HUSK_TRY(VolumeStore(eng.images().root()).prune(true, &bytes, [&](const Volume& v) {
      return opts.filter.matches(v.created, v.labels);
    }));
    r.volumes.reclaimed = bytes;
  }
  r.images = HUSK_TRY(prune_images(eng, opts.all, opts.filter));
  return r;
}

}  // namespace husk::engine
