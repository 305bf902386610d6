#include "engine/volumes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/time.hpp"
#include "engine/events.hpp"
#include "linux/rootfs.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// One writer at a time over ROOT/volumes (flock: released when the fd goes).
Result<UniqueFd> lock_volumes(const std::string& vroot) {
  HUSK_TRY(mkdir_all(vroot, 0700));
  UniqueFd lock = HUSK_TRY(open_fd(vroot + "/.lock", O_RDWR | O_CREAT, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + vroot));
  return lock;
}

}  // namespace

json to_json(const Volume& v) {
  json labels = v.labels.empty() ? json(nullptr) : json(v.labels);
  return {{"CreatedAt", v.created}, {"Driver", "local"},  {"Labels", labels}, {"Mountpoint", v.mountpoint},
          {"Name", v.name},         {"Options", nullptr}, {"Scope", "local"}};
}

Result<void> validate_volume_name(const std::string& name) {
  bool ok = name.size() >= 2 && isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (!ok)
    return fail_code(EINVAL, "\"" + name +
                                 "\" includes invalid characters for a local volume name, only "
                                 "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                                 "directory, use absolute path");
  return {};
}

Result<Volume> VolumeStore::read(const std::string& name) const {
  std::string meta = dir(name) + "/volume.json";
  auto text = read_file(meta);
  if (!text) {
    if (text.error().err() == ENOENT) return fail_code(ENOENT, "get " + name + ": no such volume");
    return fail(std::move(text).error());
  }
  try {
    json j = json::parse(*text);
    Volume v;
    v.name = name;
    v.created = j.value("CreatedAt", "");
    if (auto it = j.find("Labels"); it != j.end() && it->is_object())
      v.labels = it->get<std::map<std::string, std::string>>();
    v.mountpoint = data_dir(name);
    return v;
  } catch (const json::exception& e) {
    return fail_code(EINVAL, meta + ": " + e.what());
  }
}

Result<Volume> VolumeStore::get(const std::string& name) const {
  if (!validate_volume_name(name)) return fail_code(ENOENT, "get " + name + ": no such volume");
  return read(name);
}

Result<Volume> VolumeStore::create(const std::string& name, const std::map<std::string, std::string>& labels,
                                   bool* created) const {
  if (created) *created = false;
  HUSK_TRY_CTX(validate_volume_name(name), "create " + name);
  std::string vroot = root_ + "/volumes";
  UniqueFd lock = HUSK_TRY(lock_volumes(vroot));
  if (auto existing = read(name); existing || existing.error().err() != ENOENT) return existing;
  // Made whole beside its place, then renamed into it.
  std::string tmp = vroot + "/.new-" + name;
  (void)remove_all(tmp);  // a crash's leftover: we hold the lock
  Volume v;
  v.name = name;
  v.created = now_rfc3339();
  v.labels = labels;
  v.mountpoint = data_dir(name);
  auto made = [&]() -> Result<void> {
    HUSK_TRY(mkdir_all(tmp + "/_data", 0755));
    json meta = {{"Name", name}, {"CreatedAt", v.created}, {"Labels", labels}};
    HUSK_TRY(write_file_atomic(tmp + "/volume.json", meta.dump(2) + "\n", 0600));
    if (::rename(tmp.c_str(), dir(name).c_str()) < 0) return fail_errno("create volume " + name);
    return {};
  }();
  if (!made) {
    (void)remove_all(tmp);
    return fail(std::move(made).error());
  }
  if (created) *created = true;
  EventLog(root_).record(Event{"volume", "create", name, {{"driver", "local"}}, 0});
  return v;
}

Result<std::vector<Volume>> VolumeStore::list() const {
  std::vector<Volume> out;
  for (auto& name : list_dir(root_ + "/volumes"))
    if (auto v = read(name)) out.push_back(std::move(*v));
  return out;
}

Result<void> VolumeStore::seed(const std::string& name, int src) const {
  UniqueFd lock = HUSK_TRY(lock_volumes(root_ + "/volumes"));
  std::string data = data_dir(name);
  if (!dir_is_empty(data)) return {};
  UniqueFd dst = HUSK_TRY(open_fd(data, O_RDONLY | O_DIRECTORY));
  struct stat st;
  if (::fstat(src, &st) < 0) return fail_errno("stat the image's content for volume " + name);
  if (::fchown(dst.get(), st.st_uid, st.st_gid) < 0 || ::fchmod(dst.get(), st.st_mode & 07777) < 0)
    return fail_errno("set the owner and mode of volume " + name);
  return with_context(linux::copy_tree(src, dst.get()), "copy the image's content into volume " + name);
}

std::string VolumeStore::users_file(const std::string& container_id) const {
  return root_ + "/containers/" + container_id + "/volumes.json";
}

Result<void> VolumeStore::set_users(const std::string& container_id,
                                    const std::vector<std::string>& names) const {
  return write_file_atomic(users_file(container_id), json(names).dump() + "\n", 0600);
}

namespace {

std::vector<std::string> names_in(const std::string& file) {
  auto text = read_file(file);
  if (!text) return {};
  json j = json::parse(*text, nullptr, false);
  if (!j.is_array()) return {};
  std::vector<std::string> out;
  for (auto& n : j)
    if (n.is_string()) out.push_back(n.get<std::string>());
  return out;
}

}  // namespace

Result<std::vector<std::string>> VolumeStore::users(const std::string& name) const {
  std::vector<std::string> out;
  for (auto& id : list_dir(root_ + "/containers")) {
    auto names = names_in(users_file(id));
    if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(id);
  }
  return out;
}

std::vector<std::string> VolumeStore::anonymous_of(const std::string& container_id) const {
  std::vector<std::string> out;
  for (auto& name : names_in(users_file(container_id)))
    if (auto v = read(name); v && v->anonymous()) out.push_back(name);
  return out;
}

Result<void> VolumeStore::remove_locked(const std::string& name) const {
  HUSK_TRY(read(name));
  auto users_now = HUSK_TRY(users(name));
  if (!users_now.empty())
    return fail_code(EBUSY, "remove " + name + ": volume is in use - [" + users_now.front() + "]");
  // Out of sight first (a rename), then gone: never half a volume under its name.
  std::string doomed = root_ + "/volumes/.rm-" + name;
  (void)remove_all(doomed);
  if (::rename(dir(name).c_str(), doomed.c_str()) < 0) return fail_errno("remove volume " + name);
  EventLog(root_).record(Event{"volume", "destroy", name, {{"driver", "local"}}, 0});
  return remove_all(doomed);
}

Result<void> VolumeStore::remove(const std::string& name) const {
  if (!validate_volume_name(name)) return fail_code(ENOENT, "get " + name + ": no such volume");
  UniqueFd lock = HUSK_TRY(lock_volumes(root_ + "/volumes"));
  return remove_locked(name);
}

void VolumeStore::remove_unused_anonymous(const std::vector<std::string>& names) const {
  auto lock = lock_volumes(root_ + "/volumes");
  if (!lock) return;
  for (auto& name : names)
    if (auto v = read(name); v && v->anonymous()) (void)remove_locked(name);
}

Result<std::vector<std::string>> VolumeStore::prune(bool all, unsigned long long* reclaimed,
                                                    const std::function<bool(const Volume&)>& take) const {
  UniqueFd lock = HUSK_TRY(lock_volumes(root_ + "/volumes"));
  std::vector<std::string> removed;
  unsigned long long bytes = 0;
  for (auto& name : list_dir(root_ + "/volumes")) {
    auto v = read(name);
    if (!v || (!all && !v->anonymous())) continue;
    if (take && !take(*v)) continue;
    if (!HUSK_TRY(users(name)).empty()) continue;
    unsigned long long size = tree_bytes(v->mountpoint);
    HUSK_TRY(remove_locked(name));
    bytes += size;
    removed.push_back(name);
  }
  if (reclaimed) *reclaimed = bytes;
  return removed;
}

unsigned long long tree_bytes(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return 0;
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? static_cast<unsigned long long>(st.st_size) : 0;
  unsigned long long sum = 0;
  if (DIR* d = ::opendir(path.c_str())) {
    while (auto* e = ::readdir(d))
      if (std::string_view n = e->d_name; n != "." && n != "..") sum += tree_bytes(path + "/" + e->d_name);
    ::closedir(d);
  }
  return sum;
}

}  // namespace husk::engine
