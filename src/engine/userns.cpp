// --userns (engine/userns.hpp).
//
// No "husk" user is made, only its /etc/subuid and /etc/subgid entries:
// docker makes a dockremap account because its ids go through shadow-utils'
// newuidmap, which checks the entries against a real user; husk runs as
// root and writes the maps itself, so the entries alone reserve the range
// (useradd skips ranges already listed) without adding a login to the host.
#include "engine/userns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/spec.hpp"

namespace husk::engine {

namespace {

constexpr uint64_t kFirstSubId = 100000;

// NAME's range in the file at PATH, appended (under an exclusive lock on
// the file, so two husks agree) when it has none.
Result<SubIdRange> subid_range(const std::string& path, std::string_view name, uint64_t count) {
  UniqueFd fd = HUSK_TRY(open_fd(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  HUSK_TRY(flock_fd(fd.get(), LOCK_EX, "lock " + path));
  std::string text = HUSK_TRY(read_file(path));
  auto ranges = parse_subid(text);
  SubIdRange r = find_or_new_subid(ranges, name, count);
  bool known = std::any_of(ranges.begin(), ranges.end(), [&](auto& x) { return x.name == name; });
  if (!known) {
    std::string line = (text.empty() || text.back() == '\n' ? "" : "\n") + r.name + ":" +
                       std::to_string(r.start) + ":" + std::to_string(r.count) + "\n";
    HUSK_TRY(write_all(fd.get(), line, "add " + r.name + "'s range to " + path));
  }
  if (r.count < kContainerIds)
    return fail_code(ERANGE, path + ": " + r.name + " has " + std::to_string(r.count) +
                                 " ids; --userns needs " + std::to_string(kContainerIds));
  return r;
}

UserMaps maps_at(uint64_t uid, uint64_t gid) {
  return {{{0, static_cast<uint32_t>(uid), kContainerIds}}, {{0, static_cast<uint32_t>(gid), kContainerIds}}};
}

// The bundles of the store's containers (for auto's used blocks).
std::vector<std::string> store_bundles(const std::string& store_root) {
  std::vector<std::string> out;
  std::string dir = store_root + "/containers";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name + "/oci-bundle/config.json");
    ::closedir(d);
  }
  return out;
}

// The container's root (a host uid without rights over the store) must
// reach its bundle: the runtime binds the root from inside the user
// namespace. As docker's root dir under userns-remap: the store and its
// containers/ may be crossed (not listed) by anyone, the container's own
// dirs by its root's group only.
Result<void> let_root_reach_bundle(const SpecContext& ctx, uint32_t gid) {
  for (auto dir : {ctx.store_root, ctx.store_root + "/containers"}) {
    struct stat st;
    if (::stat(dir.c_str(), &st) < 0) return fail_errno("stat " + dir);
    if ((st.st_mode & 0001) == 0 && ::chmod(dir.c_str(), (st.st_mode & 07777) | 0111) < 0)
      return fail_errno("chmod " + dir);
  }
  std::string bundle = ctx.rootfs.substr(0, ctx.rootfs.rfind('/'));
  for (auto& dir : {ctx.container_dir, bundle})
    if (::chown(dir.c_str(), 0, gid) < 0 || ::chmod(dir.c_str(), 0710) < 0)
      return fail_errno("give the container's root a way to " + dir);
  return {};
}

}  // namespace

std::vector<SubIdRange> parse_subid(std::string_view text) {
  std::vector<SubIdRange> out;
  for (auto& line : split(text, '\n')) {
    auto f = split(line, ':');
    if (f.size() != 3 || f[0].empty() || f[0][0] == '#') continue;
    auto start = parse_u64(f[1]), count = parse_u64(f[2]);
    if (start && count) out.push_back({f[0], *start, *count});
  }
  return out;
}

SubIdRange find_or_new_subid(const std::vector<SubIdRange>& ranges, std::string_view name, uint64_t count) {
  uint64_t end = kFirstSubId;
  for (auto& r : ranges) {
    if (r.name == name) return r;
    end = std::max(end, r.start + r.count);
  }
  return {std::string(name), end, count};
}

Result<uint64_t> free_auto_block(const SubIdRange& range, const std::vector<uint64_t>& used) {
  for (uint64_t b = range.start + kContainerIds; b + kContainerIds <= range.start + range.count;
       b += kContainerIds) {
    bool taken =
        std::any_of(used.begin(), used.end(), [&](uint64_t u) { return u >= b && u < b + kContainerIds; });
    if (!taken) return b;
  }
  return fail_code(ENOSPC, "--userns=auto: every 65536-id block of " + range.name + "'s subordinate range (" +
                               std::to_string(range.start) + ", " + std::to_string(range.count) +
                               " ids) is in use");
}

Result<UserMaps> bundle_user_maps(const std::string& config_json_path) {
  auto text = read_file(config_json_path);
  if (!text) return UserMaps{};  // a half-made container: no maps to honour
  auto config = HUSK_TRY_CTX(spec::parse_config(*text), config_json_path);
  auto* user = config.linux.find_namespace(spec::NamespaceType::user);
  if (!user || !user->path.empty()) return UserMaps{};
  return UserMaps{config.linux.uid_mappings, config.linux.gid_mappings};
}

Result<UserMaps> plan_user_namespace(UsernsMode mode, const std::string& subuid, const std::string& subgid,
                                     const std::vector<std::string>& bundles) {
  if (mode == UsernsMode::host) return UserMaps{};
  uint64_t made = kMadeRangeBlocks * kContainerIds;
  auto uids = HUSK_TRY(subid_range(subuid, kSubIdUser, made));
  auto gids = HUSK_TRY(subid_range(subgid, kSubIdUser, made));
  if (mode == UsernsMode::remap) return maps_at(uids.start, gids.start);
  std::vector<uint64_t> used_uids, used_gids;
  for (auto& b : bundles) {
    auto m = HUSK_TRY(bundle_user_maps(b));
    if (!m.uids.empty()) used_uids.push_back(m.uids.front().host_id);
    if (!m.gids.empty()) used_gids.push_back(m.gids.front().host_id);
  }
  return maps_at(HUSK_TRY(free_auto_block(uids, used_uids)), HUSK_TRY(free_auto_block(gids, used_gids)));
}

Result<UserMaps> plan_user_namespace(const RunFlags& f, const std::string& store_root) {
  auto mode = HUSK_TRY(parse_userns_mode(f.userns));
  if (mode == UsernsMode::host) return UserMaps{};
  return plan_user_namespace(mode, "/etc/subuid", "/etc/subgid", store_bundles(store_root));
}

Result<void> apply_userns(const SpecContext& ctx, const RunFlags& f, UsernsMode mode, spec::Config& spec) {
  if (mode == UsernsMode::host) return {};
  if (ctx.uid_map.empty())
    return fail_code(EINVAL, "--userns=" + f.userns + ": the root was not mounted for a user namespace");
  HUSK_TRY(let_root_reach_bundle(ctx, ctx.gid_map.front().host_id));
  spec.linux.namespaces.push_back({spec::NamespaceType::user, ""});
  spec.linux.uid_mappings = ctx.uid_map;
  spec.linux.gid_mappings = ctx.gid_map;
  return {};
}

}  // namespace husk::engine
