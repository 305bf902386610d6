#include "engine/containers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/fault.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/names.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

json networks_json(const std::vector<NetworkAttachment>& networks) {
  json out = json::array();
  for (auto& n : networks)
    out.push_back({{"Name", n.name},
                   {"NetworkID", n.id},
                   {"Aliases", n.aliases},
                   {"IPAddress", n.ip},
                   {"MacAddress", n.mac}});
  return out;
}

json to_json(const ContainerRecord& r) {
  json j = {{"Id", r.id},
            {"Name", r.name},
            {"Image", r.image},
            {"ImageID", r.image_id},
            {"Cmd", r.command},
            {"Created", r.created},
            {"Status", r.status},
            {"ExitCode", r.exit_code},
            {"Error", r.error},
            {"OOMKilled", r.oom_killed},
            {"StartedAt", r.started},
            {"FinishedAt", r.finished},
            {"AutoRemove", r.auto_remove},
            {"RestartCount", r.restart_count},
            {"HasBeenManuallyStopped", r.manually_stopped},
            {"RestartDelayMs", r.restart_delay_ms},
            {"NanoCpus", r.nano_cpus},
            {"ExposedPorts", r.exposed_ports},
            {"Networks", networks_json(r.networks)},
            {"HostConfig", to_json(r.flags)}};
  if (r.healthcheck) j["Healthcheck"] = image::health_config_json(*r.healthcheck);
  return j;
}

Result<ContainerRecord> from_json(const std::string& text, const std::string& where) {
  try {
    json j = json::parse(text);
    ContainerRecord r;
    r.id = j.at("Id").get<std::string>();
    r.name = j.at("Name").get<std::string>();
    r.image = j.value("Image", "");
    r.image_id = j.value("ImageID", "");
    r.command = j.value("Cmd", std::vector<std::string>{});
    r.created = j.value("Created", "");
    r.status = j.value("Status", "created");
    r.exit_code = j.value("ExitCode", 0);
    r.error = j.value("Error", "");
    r.oom_killed = j.value("OOMKilled", false);
    r.started = j.value("StartedAt", "");
    r.finished = j.value("FinishedAt", "");
    r.auto_remove = j.value("AutoRemove", false);
    r.restart_count = j.value("RestartCount", 0);
    r.manually_stopped = j.value("HasBeenManuallyStopped", false);
    r.restart_delay_ms = j.value("RestartDelayMs", int64_t{0});
    if (auto it = j.find("HostConfig"); it != j.end())
      r.flags = HUSK_TRY_CTX(run_flags_from_json(*it), where);
    // A record written before NanoCpus was has --cpus as text in HostConfig.
    auto cpus = j.contains("HostConfig") ? j["HostConfig"].value("Cpus", "") : "";
    r.nano_cpus = j.value("NanoCpus", !cpus.empty() && cpus != "0");
    r.exposed_ports = j.value("ExposedPorts", std::vector<std::string>{});
    for (auto& n : j.value("Networks", json::array()))
      r.networks.push_back({n.at("Name").get<std::string>(), n.at("NetworkID").get<std::string>(),
                            n.value("Aliases", std::vector<std::string>{}), n.value("IPAddress", ""),
                            n.value("MacAddress", "")});
    if (auto h = j.find("Healthcheck"); h != j.end() && h->is_object())
      r.healthcheck = image::HealthConfig{.test = h->value("Test", std::vector<std::string>{}),
                                          .interval = h->value("Interval", int64_t{0}),
                                          .timeout = h->value("Timeout", int64_t{0}),
                                          .start_period = h->value("StartPeriod", int64_t{0}),
                                          .retries = h->value("Retries", 0)};
    return r;
  } catch (const json::exception& e) {
    return fail_code(EINVAL, where + ": " + e.what());
  }
}

}  // namespace

Result<void> validate_name(const std::string& name) {
  bool ok = name.size() >= 2 && isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (!ok)
    return fail_code(EINVAL,
                     "invalid container name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  return {};
}

std::string new_container_id() {
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : raw) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

namespace {

Result<UniqueFd> lock_names(const std::string& root) {
  UniqueFd lock = HUSK_TRY(open_fd(root + "/names.lock", O_RDWR | O_CREAT, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock container names"));
  return lock;
}

// A container's directory without a record is one being made under the
// names lock, a bundle of `husk image bundle` (its bundle lies elsewhere),
// or what a create killed half-way left: shown as a dead container (the
// name it was to have was never recorded) so that `rm -f` can remove it.
std::optional<ContainerRecord> interrupted_create(const std::string& root, const std::string& id) {
  std::string dir = root + "/containers/" + id;
  if (auto bundle = read_file(dir + "/bundle");
      bundle && !trim(*bundle).ends_with("/containers/" + id + "/oci-bundle"))
    return {};
  UniqueFd names(::open((root + "/names.lock").c_str(), O_RDONLY | O_CLOEXEC));
  // Someone creates a container right now (maybe this one): not dead.
  if (names && !flock_fd(names.get(), LOCK_SH | LOCK_NB, "lock container names")) return {};
  ContainerRecord r;
  r.id = id;
  r.name = id.substr(0, 12);
  r.status = "dead";
  r.error = "its creation was interrupted";
  return r;
}

Result<void> check_name_free(const std::vector<ContainerRecord>& all, const std::string& name) {
  for (auto& other : all)
    if (other.name == name)
      return fail_code(EEXIST,
                       "the container name \"" + name + "\" is already in use by container " + other.id);
  return {};
}

uint32_t random_u32() {
  uint32_t v = 0;
  while (::getrandom(&v, sizeof v, 0) != sizeof v) {
  }
  return v;
}

// docker's name for one not given any, not one ALL has; its id's first 12
// digits should every pick be taken (3,000 of them).
std::string free_generated_name(const std::vector<ContainerRecord>& all, const std::string& id) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = generated_name(random_u32(), random_u32());
    if (std::none_of(all.begin(), all.end(), [&](auto& r) { return r.name == name; })) return name;
  }
  return id.substr(0, 12);
}

}  // namespace

Result<ContainerRecord> ContainerStore::create(
    ContainerRecord rec, const std::function<Result<void>(const ContainerRecord&)>& make) {
  UniqueFd lock = HUSK_TRY(lock_names(images_.root()));
  rec.id = new_container_id();
  auto all = HUSK_TRY(list());
  if (rec.name.empty()) rec.name = free_generated_name(all, rec.id);
  HUSK_TRY(validate_name(rec.name));
  HUSK_TRY(check_name_free(all, rec.name));
  HUSK_TRY(make(rec));
  fault_point(Fault::engine_create_bundle);
  HUSK_TRY(save(rec));
  return rec;
}

Result<UniqueFd> ContainerStore::hold_recorder(const std::string& id) const {
  UniqueFd lock = HUSK_TRY(open_fd(dir(id) + "/recorder.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (auto locked = flock_fd(lock.get(), LOCK_EX | LOCK_NB, "lock container " + id + "'s run"); !locked) {
    if (locked.error().err() == EWOULDBLOCK)
      return fail_code(EBUSY, "container " + id + " is already being run");
    return fail(std::move(locked).error());
  }
  return lock;
}

bool ContainerStore::await_recorder(const std::string& id, int timeout_ms) const {
  UniqueFd lock(::open((dir(id) + "/recorder.lock").c_str(), O_RDONLY | O_CLOEXEC));
  if (!lock) return true;  // never run, or removed meanwhile
  for (int waited = 0;; waited += 5) {
    if (flock_fd(lock.get(), LOCK_SH | LOCK_NB, "lock container " + id + "'s run")) return true;
    if (waited >= timeout_ms) return false;
    ::usleep(5000);
  }
}

Result<void> ContainerStore::save(const ContainerRecord& rec) const {
  return write_file_atomic(dir(rec.id) + "/container.json", to_json(rec).dump(2) + "\n", 0600);
}

Result<std::vector<ContainerRecord>> ContainerStore::list() const {
  std::vector<ContainerRecord> out;
  DIR* d = ::opendir((images_.root() + "/containers").c_str());
  if (!d) return fail_errno("open " + images_.root() + "/containers");
  std::vector<std::string> ids;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') ids.push_back(e->d_name);
  ::closedir(d);
  for (auto& id : ids) {
    auto text = read_file(dir(id) + "/container.json");
    if (!text) {
      if (auto dead = interrupted_create(images_.root(), id)) out.push_back(std::move(*dead));
      continue;
    }
    if (auto r = from_json(*text, dir(id) + "/container.json")) out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created > b.created; });
  return out;
}

Result<ContainerRecord> ContainerStore::find(const std::string& name_or_id) const {
  auto all = HUSK_TRY(list());
  for (auto& r : all)
    if (r.name == name_or_id || r.id == name_or_id) return r;
  const ContainerRecord* hit = nullptr;
  for (auto& r : all)
    if (name_or_id.size() >= 3 && r.id.starts_with(name_or_id)) {
      if (hit) return fail_code(EINVAL, "container id prefix \"" + name_or_id + "\" is ambiguous");
      hit = &r;
    }
  if (hit) return *hit;
  return fail_code(ENOENT, "no such container: " + name_or_id);
}

Result<void> ContainerStore::rename(const std::string& name_or_id, const std::string& new_name) const {
  HUSK_TRY(validate_name(new_name));
  UniqueFd lock = HUSK_TRY(lock_names(images_.root()));
  auto rec = HUSK_TRY(find(name_or_id));
  if (rec.name == new_name) return {};
  HUSK_TRY(check_name_free(HUSK_TRY(list()), new_name));
  rec.name = new_name;
  rec.flags.name = new_name;
  return save(rec);
}

}  // namespace husk::engine
