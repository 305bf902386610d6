// --userns=remap|auto: the container's root is an unprivileged id range of
// the host. The ranges are the "husk" entries of /etc/subuid and
// /etc/subgid (made when missing, as docker makes dockremap's); remap maps
// container ids 0..65535 onto the first 65536 of them, auto gives each
// container a 65536-block of its own from the rest (podman's --userns=auto).
// The image's layers are then id-mapped (image/overlay.hpp), so its
// root-owned files are the container's root's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "engine/namespaces.hpp"
#include "engine/run_flags.hpp"
#include "spec/config.hpp"

namespace husk::engine {

struct SpecContext;

inline constexpr std::string_view kSubIdUser = "husk";
inline constexpr uint32_t kContainerIds = 65536;  // ids 0..65535 inside
// The size of a "husk" range husk makes: remap's block and 255 for auto.
inline constexpr uint64_t kMadeRangeBlocks = 256;

struct SubIdRange {
  std::string name;
  uint64_t start = 0;
  uint64_t count = 0;
};

// NAME:START:COUNT lines; others (comments, junk) are skipped.
std::vector<SubIdRange> parse_subid(std::string_view text);
// NAME's first range in RANGES, or a new one of COUNT ids starting at
// 100000 or past the end of every range (so no one else's overlaps).
SubIdRange find_or_new_subid(const std::vector<SubIdRange>& ranges, std::string_view name, uint64_t count);
// auto: the first 65536-block of RANGE after remap's (the first) that no
// start in USED falls in.
Result<uint64_t> free_auto_block(const SubIdRange& range, const std::vector<uint64_t>& used);

// A user namespace's maps (empty: none).
struct UserMaps {
  std::vector<spec::IdMapping> uids, gids;
};

// What --userns asks for this container, its ranges taken from (or added
// to) SUBUID and SUBGID; for auto, BUNDLES are the other containers'
// config.json files whose maps are taken.
Result<UserMaps> plan_user_namespace(UsernsMode mode, const std::string& subuid, const std::string& subgid,
                                     const std::vector<std::string>& bundles);
// The same with the host's files and the store's containers.
Result<UserMaps> plan_user_namespace(const RunFlags& f, const std::string& store_root);

// The maps a bundle's config.json gives its own user namespace (none when
// it has none, or joins another's).
Result<UserMaps> bundle_user_maps(const std::string& config_json_path);

// The user namespace and maps of ctx.user_maps (planned before the root was
// mounted with them) into the spec.
Result<void> apply_userns(const SpecContext& ctx, const RunFlags& f, UsernsMode mode, spec::Config& spec);

}  // namespace husk::engine
