#include "image/bundle.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include "base/fault.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "image/overlay.hpp"
#include "linux/idmap.hpp"
#include "spec/state.hpp"

namespace husk::image {

namespace {

// ROOTFS/PATH read with every symlink resolved inside ROOTFS; absent is "".
Result<std::string> read_in_root(const std::string& rootfs, const std::string& path) {
  UniqueFd root = HUSK_TRY(open_fd(rootfs, O_PATH | O_DIRECTORY));
  auto fd = open_in_root(root.get(), path, O_RDONLY);
  if (!fd) {
    if (fd.error().err() == ENOENT) return std::string();
    return fail(std::move(fd).error());
  }
  return read_file(fd_path(fd->get()));
}

struct Entry {
  std::string name;
  uint32_t id = 0;
  uint32_t gid = 0;                  // passwd: primary group
  std::vector<std::string> members;  // group
};

// passwd: name:x:uid:gid:...; group: name:x:gid:member,member
std::vector<Entry> parse_db(const std::string& text, bool passwd) {
  std::vector<Entry> out;
  for (auto& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() < (passwd ? 4u : 3u)) continue;
    auto id = parse_u64(f[2]);
    if (!id || *id > 0xffffffffu) continue;
    Entry e{f[0], static_cast<uint32_t>(*id), 0, {}};
    if (passwd) {
      auto gid = parse_u64(f[3]);
      if (!gid || *gid > 0xffffffffu) continue;
      e.gid = static_cast<uint32_t>(*gid);
    } else if (f.size() > 3 && !f[3].empty()) {
      e.members = split(f[3], ',');
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<uint32_t> numeric_id(const std::string& s) {
  auto v = parse_u64(s);
  if (!v || *v > 0xffffffffu) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

}  // namespace

Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user) {
  ResolvedUser r;
  if (user.empty()) return r;
  auto colon = user.find(':');
  std::string u = user.substr(0, colon), g = colon == std::string::npos ? "" : user.substr(colon + 1);
  auto users = parse_db(HUSK_TRY(read_in_root(rootfs, "/etc/passwd")), true);
  auto groups = parse_db(HUSK_TRY(read_in_root(rootfs, "/etc/group")), false);
  std::string name;
  if (auto id = numeric_id(u)) {
    r.uid = *id;
    for (auto& e : users)
      if (e.id == *id) {
        r.gid = e.gid;
        name = e.name;
        break;
      }
  } else {
    bool found = false;
    for (auto& e : users)
      if (e.name == u) {
        r.uid = e.id;
        r.gid = e.gid;
        name = e.name;
        found = true;
        break;
      }
    if (!found) return fail_code(ENOENT, "unable to find user " + u + ": no matching entries in passwd file");
  }
  if (!g.empty()) {
    if (auto id = numeric_id(g)) {
      r.gid = *id;
    } else {
      bool found = false;
      for (auto& e : groups)
        if (e.name == g) {
          r.gid = e.id;
          found = true;
          break;
        }
      if (!found)
        return fail_code(ENOENT, "unable to find group " + g + ": no matching entries in group file");
    }
  } else if (!name.empty()) {
    // Supplementary groups only when the group was not given (as docker).
    for (auto& e : groups)
      if (e.id != r.gid && std::find(e.members.begin(), e.members.end(), name) != e.members.end())
        r.additional_gids.push_back(e.id);
  }
  return r;
}

Result<std::vector<uint32_t>> resolve_groups(const std::string& rootfs,
                                             const std::vector<std::string>& groups) {
  std::vector<uint32_t> out;
  if (groups.empty()) return out;
  auto db = parse_db(HUSK_TRY(read_in_root(rootfs, "/etc/group")), false);
  for (auto& g : groups) {
    std::optional<uint32_t> gid;
    for (auto& e : db)
      if (e.name == g || std::to_string(e.id) == g) {
        gid = e.id;
        break;
      }
    if (!gid) {
      auto n = parse_u64(g);
      if (!n) return fail_code(ENOENT, "Unable to find group " + g + ": no matching entries in group file");
      if (*n > 0x7fffffffu) return fail_code(ERANGE, "uids and gids must be in range 0-2147483647");
      gid = static_cast<uint32_t>(*n);
    }
    if (std::find(out.begin(), out.end(), *gid) == out.end()) out.push_back(*gid);
  }
  return out;
}

Result<void> create_bundle(const Store& store, const StoredImage& image, const std::string& bundle_dir,
                           const BundleOptions& opts) {
  HUSK_TRY(spec::validate_id(opts.id));
  if (!opts.config) return fail_code(EINVAL, "bundle " + bundle_dir + ": no config.json to write");
  std::string bundle = HUSK_TRY(absolute_from_cwd(bundle_dir));
  std::string cdir = store.root() + "/containers/" + opts.id;
  if (::mkdir(cdir.c_str(), 0700) < 0) {
    if (errno == EEXIST)
      return fail_code(EEXIST, "a container named \"" + opts.id + "\" exists in the store");
    return fail_errno("create " + cdir);
  }
  // Undo everything unless we get to the end.
  bool done = false;
  bool mounted = false;
  bool made_bundle = false;
  struct Undo {
    std::function<void()> f;
    ~Undo() { f(); }
  } undo{[&] {
    if (done) return;
    if (mounted) (void)unmount_overlay(bundle + "/rootfs");
    if (made_bundle) (void)remove_all(bundle);
    (void)remove_all(cdir);
  }};
  fault_point(Fault::engine_create_dir);
  HUSK_TRY(mkdir_all(cdir + "/upper", 0755));
  if (!opts.uid_map.empty()) {
    auto uid = linux::host_id(opts.uid_map, 0), gid = linux::host_id(opts.gid_map, 0);
    if (!uid || !gid) return fail_code(EINVAL, "the user namespace's maps have no root");
    if (::chown((cdir + "/upper").c_str(), *uid, *gid) < 0) return fail_errno("chown " + cdir + "/upper");
  }
  HUSK_TRY(mkdir_all(cdir + "/work", 0700));
  HUSK_TRY(write_file_atomic(cdir + "/image", image.manifest_digest.str() + "\n", 0600));
  HUSK_TRY(write_file_atomic(cdir + "/bundle", bundle + "\n", 0600));
  if (::mkdir(bundle.c_str(), 0700) == 0) {
    made_bundle = true;
  } else if (errno != EEXIST) {
    return fail_errno("create bundle " + bundle);
  } else if (path_exists(bundle + "/config.json") || path_exists(bundle + "/rootfs")) {
    return fail_code(EEXIST, "bundle " + bundle + " is not empty");
  }
  HUSK_TRY(mkdir_all(bundle + "/rootfs", 0755));
  OverlaySpec ov{store.root(), HUSK_TRY(store.lower_links(image)), cdir + "/upper", cdir + "/work", opts.uid_map,
                 opts.gid_map};
  HUSK_TRY_CTX(mount_overlay(ov, bundle + "/rootfs"), "bundle " + bundle);
  mounted = true;
  fault_point(Fault::engine_create_overlay);
  std::string config = HUSK_TRY(opts.config(bundle));
  HUSK_TRY(write_file_atomic(bundle + "/config.json", config, 0644));
  done = true;
  return {};
}

Result<bool> bundle_mounted(const std::string& bundle) {
  struct stat above, root;
  if (::stat(bundle.c_str(), &above) < 0) return fail_errno("bundle " + bundle);
  if (::stat((bundle + "/rootfs").c_str(), &root) < 0) return fail_errno("bundle " + bundle + "/rootfs");
  return above.st_dev != root.st_dev;
}

Result<void> remount_bundle(const Store& store, const StoredImage& image, const std::string& id,
                            const std::string& bundle_dir, const std::vector<spec::IdMapping>& uid_map,
                            const std::vector<spec::IdMapping>& gid_map) {
  std::string bundle = HUSK_TRY(absolute_from_cwd(bundle_dir));
  if (HUSK_TRY(bundle_mounted(bundle))) return {};
  std::string cdir = store.root() + "/containers/" + id;
  OverlaySpec ov{store.root(), HUSK_TRY(store.lower_links(image)), cdir + "/upper", cdir + "/work", uid_map,
                 gid_map};
  return with_context(mount_overlay(ov, bundle + "/rootfs"), "bundle " + bundle);
}

Result<void> remove_bundle(const Store& store, const std::string& bundle_dir) {
  std::string bundle = HUSK_TRY(absolute_from_cwd(bundle_dir));
  // Which container of the store owns this bundle.
  std::string owner;
  if (DIR* d = ::opendir((store.root() + "/containers").c_str())) {
    while (auto* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      auto text = read_file(store.root() + "/containers/" + e->d_name + "/bundle");
      if (text && trim(*text) == bundle) owner = e->d_name;
    }
    ::closedir(d);
  }
  if (owner.empty()) return fail_code(ENOENT, "bundle " + bundle + " was not made from this store");
  HUSK_TRY(unmount_overlay(bundle + "/rootfs"));
  HUSK_TRY(remove_all(bundle));
  return remove_all(store.root() + "/containers/" + owner);
}

}  // namespace husk::image
