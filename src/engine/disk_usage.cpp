// `husk system df`: the bytes the store's images, containers and volumes
// hold, and what of them a prune would give back, as docker counts them
// (engine/system.hpp).
#include <map>

#include "engine/listing.hpp"
#include "engine/system.hpp"
#include "engine/volumes.hpp"

namespace husk::engine {

std::vector<ImageSizes> image_sizes(const std::vector<std::vector<LayerRef>>& layers, uint64_t* layers_size) {
  std::map<std::string, int> users;
  std::map<std::string, uint64_t> bytes;
  for (auto& image : layers)
    for (auto& l : image) {
      ++users[l.chain_id];
      bytes[l.chain_id] = l.size;
    }
  std::vector<ImageSizes> out;
  for (auto& image : layers) {
    ImageSizes s;
    for (auto& l : image) {
      s.size += l.size;
      if (users[l.chain_id] > 1) s.shared_size += l.size;
    }
    out.push_back(s);
  }
  if (layers_size) {
    *layers_size = 0;
    for (auto& [id, n] : bytes) *layers_size += n;
  }
  return out;
}

Result<DiskUsage> disk_usage(const Engine& eng) {
  DiskUsage du;
  const image::Store& store = eng.images();
  du.containers = HUSK_TRY(ps_entries(eng));
  add_sizes(eng, du.containers);
  std::map<std::string, int> made_from;  // image id -> containers
  for (auto& c : du.containers) ++made_from[c.rec.image_id];

  auto images = HUSK_TRY(store.list_images());
  std::vector<std::vector<LayerRef>> layers;
  for (auto& img : images) {
    auto& refs = layers.emplace_back();
    // A layer a gc took meanwhile counts nothing, as image_size's.
    for (auto& c : image::chain_ids(img.config.diff_ids))
      if (auto l = store.layer(c)) refs.push_back({c.str(), l->tar_size});
  }
  auto sizes = image_sizes(layers, &du.layers_size);
  for (size_t i = 0; i < images.size(); ++i) {
    int containers = made_from[images[i].id().str()];
    du.images.push_back({std::move(images[i]), sizes[i].size, sizes[i].shared_size, containers});
  }

  VolumeStore volumes(store.root());
  for (auto& v : HUSK_TRY(volumes.list())) {
    auto users = HUSK_TRY(volumes.users(v.name));
    du.volumes.push_back({v.name, static_cast<int>(users.size()), tree_bytes(v.mountpoint)});
  }
  return du;
}

std::string reclaimable_text(uint64_t reclaimable, uint64_t total) {
  if (total == 0) return human_size(reclaimable);
  return human_size(reclaimable) + " (" + std::to_string(reclaimable * 100 / total) + "%)";
}

std::vector<DfSummary> df_summary(const DiskUsage& du) {
  DfSummary images{"Images", static_cast<int>(du.images.size()), 0, du.layers_size, 0};
  uint64_t used = 0;
  for (auto& i : du.images)
    if (i.containers > 0) {
      ++images.active;
      used += i.unique_size();
    }
  images.reclaimable = du.layers_size > used ? du.layers_size - used : 0;

  DfSummary containers{"Containers", static_cast<int>(du.containers.size()), 0, 0, 0};
  for (auto& c : du.containers) {
    uint64_t size = c.size_rw.value_or(0);
    containers.size += size;
    if (c.live == LiveStatus::running || c.live == LiveStatus::paused)
      ++containers.active;
    else
      containers.reclaimable += size;
  }

  DfSummary volumes{"Local Volumes", static_cast<int>(du.volumes.size()), 0, 0, 0};
  for (auto& v : du.volumes) {
    volumes.size += v.size;
    if (v.links > 0)
      ++volumes.active;
    else
      volumes.reclaimable += v.size;
  }
  // husk builds no images: docker's line, always empty.
  return {images, containers, volumes, DfSummary{"Build Cache", 0, 0, 0, 0}};
}

nlohmann::ordered_json df_row(const DfSummary& s) {
  return {{"Type", s.type},
          {"TotalCount", std::to_string(s.total)},
          {"Active", std::to_string(s.active)},
          {"Size", human_size(s.size)},
          {"Reclaimable", reclaimable_text(s.reclaimable, s.size)}};
}

}  // namespace husk::engine
