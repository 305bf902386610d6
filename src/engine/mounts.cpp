#include "engine/mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/containers.hpp"
#include "engine/etc_files.hpp"
#include "engine/namespaces.hpp"
#include "engine/spec.hpp"
#include "engine/volumes.hpp"

namespace husk::engine {

namespace {

constexpr std::array kPropagations = {"private", "rprivate", "shared", "rshared", "slave", "rslave"};
bool is_propagation(std::string_view o) { return std::ranges::find(kPropagations, o) != kPropagations.end(); }

// docker's -v MODE: each word known, at most one of each kind.
bool valid_volume_mode(const std::string& mode) {
  if (mode.empty()) return true;
  int rw = 0, label = 0, prop = 0, copy = 0, consistency = 0;
  for (auto& o : split(mode, ',')) {
    if (o == "ro" || o == "rw")
      ++rw;
    else if (o == "z" || o == "Z")
      ++label;
    else if (is_propagation(o))
      ++prop;
    else if (o == "nocopy")
      ++copy;
    else if (o == "consistent" || o == "cached" || o == "delegated")
      ++consistency;
    else
      return false;
  }
  return rw <= 1 && label <= 1 && prop <= 1 && copy <= 1 && consistency <= 1;
}

// docker's CLI makes "./x" and "." absolute; other relative sources are names.
std::string absolute_source(const std::string& s) {
  if (s != "." && !s.starts_with("./")) return s;
  auto abs = absolute_from_cwd(s);
  return abs ? clean_path(*abs) : s;
}

const char* type_name(MountType t) {
  switch (t) {
    case MountType::bind:
      return "bind";
    case MountType::volume:
      return "volume";
    case MountType::tmpfs:
      return "tmpfs";
  }
  return "?";
}

// The daemon's checks of one mount (docker's validateMountConfig), with its
// "invalid mount config for type ..." messages.
Result<void> validate_request(const MountRequest& r, bool has_bind_options, bool has_volume_options) {
  auto bad = [&](const std::string& why) {
    return fail_code(EINVAL,
                     std::string("invalid mount config for type \"") + type_name(r.type) + "\": " + why);
  };
  if (r.target.empty()) return bad("field Target must not be empty");
  if (r.target[0] != '/') return bad("invalid mount path: '" + r.target + "' mount path must be absolute");
  if (clean_path(r.target) == "/") return bad("invalid specification: destination can't be '/'");
  if (r.type != MountType::bind && has_bind_options) return bad("field BindOptions must not be specified");
  if (r.type == MountType::bind) {
    if (r.source.empty()) return bad("field Source must not be empty");
    if (has_volume_options) return bad("field VolumeOptions must not be specified");
    if (!r.propagation.empty() && !is_propagation(r.propagation))
      return bad("invalid propagation mode: " + r.propagation);
    if (r.source[0] != '/') return bad("invalid mount path: '" + r.source + "' mount path must be absolute");
  } else if (r.type == MountType::volume) {
    if (r.readonly && r.source.empty()) return bad("must not set ReadOnly mode when using anonymous volumes");
  } else if (!r.source.empty()) {
    return bad("field Source must not be specified");
  }
  return {};
}

}  // namespace

Result<MountRequest> parse_volume_flag(const std::string& spec) {
  auto invalid = [&] { return fail_code(EINVAL, "invalid volume specification: '" + spec + "'"); };
  auto parts = split(spec, ':');
  if (parts.empty() || parts[0].empty() || parts.size() > 3) return invalid();
  MountRequest r;
  std::string mode;
  if (parts.size() == 1) {
    r.target = parts[0];
  } else {
    // TARGET:MODE is not a volume: modes need a source.
    if (parts.size() == 2 && valid_volume_mode(parts[1])) return invalid();
    r.source = absolute_source(parts[0]);
    r.target = parts[1];
    if (parts.size() == 3) mode = parts[2];
  }
  if (!valid_volume_mode(mode)) return fail_code(EINVAL, "invalid mode: " + mode);
  r.type = r.source.starts_with("/") ? MountType::bind : MountType::volume;
  r.create_source = r.type == MountType::bind;
  bool bind_options = false, volume_options = false;
  for (auto& o : split(mode, ',')) {
    if (o == "ro") r.readonly = true;
    if (o == "nocopy") r.nocopy = volume_options = true;
    if (is_propagation(o)) {
      r.propagation = o;
      bind_options = true;
    }
  }
  HUSK_TRY_CTX(validate_request(r, bind_options, volume_options),
               "invalid volume specification: '" + spec + "'");
  if (r.type == MountType::volume && !r.source.empty())
    HUSK_TRY_CTX(validate_volume_name(r.source), "create " + r.source);
  r.target = clean_path(r.target);
  if (r.type == MountType::bind) r.source = clean_path(r.source);
  return r;
}

namespace {

// Go's strconv.ParseBool, as the docker CLI reads --mount's booleans.
std::optional<bool> parse_bool(const std::string& v) {
  for (auto t : {"1", "t", "T", "TRUE", "true", "True"})
    if (v == t) return true;
  for (auto f : {"0", "f", "F", "FALSE", "false", "False"})
    if (v == f) return false;
  return std::nullopt;
}

// What one --mount's key=value fields say, before the type is known to fit them.
struct MountFields {
  MountRequest r;
  std::string type = "volume";
  bool bind_options = false, volume_options = false, tmpfs_options = false;
  std::optional<long long> tmpfs_size;
  std::optional<unsigned long> tmpfs_mode;
};

Result<void> read_mount_field(MountFields& m, const std::string& field) {
  auto eq = field.find('=');
  std::string key = field.substr(0, eq);
  bool has_value = eq != std::string::npos;
  std::string val = has_value ? field.substr(eq + 1) : "true";
  auto boolean = [&](bool& into) -> Result<void> {
    auto b = parse_bool(val);
    if (!b) return fail_code(EINVAL, "invalid value for " + key + ": " + val);
    into = *b;
    return {};
  };
  if (!has_value && key != "readonly" && key != "ro" && key != "volume-nocopy" && key != "bind-nonrecursive")
    return fail_code(EINVAL, "invalid field '" + field + "' must be a key=value pair");
  if (key == "type") {
    m.type = val;
    for (auto& c : m.type) c = static_cast<char>(::tolower(static_cast<unsigned char>(c)));
  } else if (key == "source" || key == "src") {
    m.r.source = absolute_source(val);
  } else if (key == "target" || key == "dst" || key == "destination") {
    m.r.target = val;
  } else if (key == "readonly" || key == "ro") {
    HUSK_TRY(boolean(m.r.readonly));
  } else if (key == "consistency") {
    // macOS only: accepted and ignored, as on Linux docker.
  } else if (key == "bind-propagation") {
    m.r.propagation = val;
    m.bind_options = true;
  } else if (key == "bind-nonrecursive") {
    HUSK_TRY(boolean(m.r.nonrecursive));
    m.bind_options = true;
  } else if (key == "volume-nocopy") {
    HUSK_TRY(boolean(m.r.nocopy));
    m.volume_options = true;
  } else if (key == "volume-label") {
    auto kv = val.find('=');
    if (kv != 0) m.r.labels[val.substr(0, kv)] = kv == std::string::npos ? "" : val.substr(kv + 1);
    m.volume_options = true;
  } else if (key == "volume-driver") {
    if (!val.empty() && val != "local")
      return fail_code(ENOTSUP, "volume driver \"" + val + "\" is not supported (only \"local\")");
    m.volume_options = true;
  } else if (key == "volume-opt") {
    return fail_code(ENOTSUP, "volume-opt (the local driver's device mounts) is not supported");
  } else if (key == "tmpfs-size") {
    m.tmpfs_size = parse_ram_bytes(val);
    if (!m.tmpfs_size || *m.tmpfs_size < 0) return fail_code(EINVAL, "invalid value for " + key + ": " + val);
    m.tmpfs_options = true;
  } else if (key == "tmpfs-mode") {
    if (val.empty() || val.size() > 11 || val.find_first_not_of("01234567") != std::string::npos)
      return fail_code(EINVAL, "invalid value for " + key + ": " + val);
    m.tmpfs_mode = std::strtoul(val.c_str(), nullptr, 8);
    m.tmpfs_options = true;
  } else {
    return fail_code(EINVAL, "unexpected key '" + key + "' in '" + field + "'");
  }
  return {};
}

// tmpfs-size as the daemon writes it: the largest unit that divides it.
std::string tmpfs_size_option(long long bytes) {
  for (auto [suffix, unit] : {std::pair{"g", 1LL << 30}, {"m", 1LL << 20}, {"k", 1LL << 10}})
    if (bytes % unit == 0) return "size=" + std::to_string(bytes / unit) + suffix;
  return "size=" + std::to_string(bytes);
}

std::string octal(unsigned long v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + (v & 7)));
    v >>= 3;
  } while (v);
  return s;
}

}  // namespace

Result<MountRequest> parse_mount_flag(const std::string& spec) {
  auto cli_error = [&](const Error& e) {
    return fail_code(EINVAL, "invalid argument \"" + spec + "\" for \"--mount\" flag: " + e.message(),
                     ErrorKind::invalid_argument);
  };
  MountFields m;
  for (auto& field : split(spec, ','))
    if (auto ok = read_mount_field(m, field); !ok) {
      if (ok.error().err() == ENOTSUP) return fail(std::move(ok).error());
      return cli_error(ok.error());
    }
  if (m.type.empty()) return cli_error(Error::msg("type is required"));
  if (m.r.target.empty()) return cli_error(Error::msg("target is required"));
  auto mixed = [&](const char* kind) {
    return cli_error(
        Error::msg(std::string("cannot mix '") + kind + "-*' options with mount type '" + m.type + "'"));
  };
  if (m.volume_options && m.type != "volume") return mixed("volume");
  if (m.bind_options && m.type != "bind") return mixed("bind");
  if (m.tmpfs_options && m.type != "tmpfs") return mixed("tmpfs");
  MountRequest r = std::move(m.r);
  if (m.type == "bind")
    r.type = MountType::bind;
  else if (m.type == "volume")
    r.type = MountType::volume;
  else if (m.type == "tmpfs")
    r.type = MountType::tmpfs;
  else
    return fail_code(EINVAL, "invalid mount config for type \"" + m.type + "\": mount type unknown");
  HUSK_TRY(validate_request(r, m.bind_options, m.volume_options));
  if (r.type == MountType::volume && !r.source.empty())
    HUSK_TRY_CTX(validate_volume_name(r.source), "create " + r.source);
  if (r.type == MountType::bind && !path_exists(r.source))
    return fail_code(ENOENT,
                     "invalid mount config for type \"bind\": bind source path does not exist: " + r.source);
  if (r.type == MountType::tmpfs) {
    if (r.readonly) r.tmpfs_options.push_back("ro");
    if (m.tmpfs_mode) r.tmpfs_options.push_back("mode=" + octal(*m.tmpfs_mode));
    if (m.tmpfs_size && *m.tmpfs_size) r.tmpfs_options.push_back(tmpfs_size_option(*m.tmpfs_size));
  }
  r.target = clean_path(r.target);
  if (r.type == MountType::bind) r.source = clean_path(r.source);
  return r;
}

Result<MountRequest> parse_tmpfs_flag(const std::string& spec) {
  MountRequest r;
  r.type = MountType::tmpfs;
  auto colon = spec.find(':');
  r.target = spec.substr(0, colon);
  if (colon != std::string::npos) r.tmpfs_options = split(spec.substr(colon + 1), ',');
  if (r.target.empty()) return fail_code(EINVAL, "invalid --tmpfs \"" + spec + "\": no mount point");
  HUSK_TRY_CTX(validate_request(r, false, false), "invalid --tmpfs \"" + spec + "\"");
  HUSK_TRY_CTX(merge_tmpfs_options(r.tmpfs_options), "invalid --tmpfs \"" + spec + "\"");
  r.target = clean_path(r.target);
  return r;
}

Result<std::vector<MountRequest>> mount_requests(const RunFlags& flags) {
  std::vector<MountRequest> out;
  for (auto& v : flags.volumes) out.push_back(HUSK_TRY(parse_volume_flag(v)));
  for (auto& m : flags.mounts) out.push_back(HUSK_TRY(parse_mount_flag(m)));
  for (auto& t : flags.tmpfs) out.push_back(HUSK_TRY(parse_tmpfs_flag(t)));
  std::set<std::string> targets;
  for (auto& r : out)
    if (!targets.insert(r.target).second) return fail_code(EINVAL, "Duplicate mount point: " + r.target);
  return out;
}

Result<VolumesFrom> parse_volumes_from(const std::string& spec) {
  if (spec.empty()) return fail_code(EINVAL, "volumes-from specification cannot be an empty string");
  auto colon = spec.find(':');
  VolumesFrom v{spec.substr(0, colon), false};
  if (colon == std::string::npos) return v;
  std::string mode = spec.substr(colon + 1);
  // Propagation and copy modes are the donor's own (docker refuses them here).
  bool foreign = !valid_volume_mode(mode) || mode.empty();
  for (auto& o : split(mode, ',')) {
    foreign = foreign || is_propagation(o) || o == "nocopy";
    v.readonly = v.readonly || o == "ro";
  }
  if (foreign) return fail_code(EINVAL, "invalid mode: " + mode);
  return v;
}

std::vector<MountRequest> donor_mounts(const spec::Config& donor, const std::string& donor_dir,
                                       const std::string& volumes_dir, bool readonly) {
  std::vector<MountRequest> out;
  auto has = [](const spec::Mount& m, std::string_view o) {
    return std::ranges::find(m.options, o) != m.options.end();
  };
  for (auto& m : donor.mounts) {
    // The runtime's defaults are not binds, but /sys may be bound as type "none".
    if (m.type != "bind" || m.source.starts_with(donor_dir + "/")) continue;
    if (m.destination == "/dev/shm" || m.destination == kInitInContainer) continue;
    MountRequest r;
    r.target = m.destination;
    r.type = MountType::bind;
    r.source = m.source;
    std::string volume_prefix = volumes_dir + "/";
    if (m.source.starts_with(volume_prefix)) {
      r.type = MountType::volume;
      r.source = m.source.substr(volume_prefix.size(),
                                 m.source.find('/', volume_prefix.size()) - volume_prefix.size());
    }
    r.readonly = readonly || has(m, "ro");
    r.nonrecursive = has(m, "bind") && !has(m, "rbind");
    for (auto& o : m.options)
      if (is_propagation(o) && o != "rprivate") r.propagation = o;
    r.nocopy = true;  // the donor's data as it is
    out.push_back(std::move(r));
  }
  return out;
}

void add_image_volumes(std::vector<MountRequest>& requests, const std::vector<std::string>& image_volumes) {
  std::set<std::string> targets;
  for (auto& r : requests) targets.insert(r.target);
  for (auto& v : image_volumes) {
    std::string target = clean_path(v);
    if (target == "/" || !targets.insert(target).second) continue;
    MountRequest r;
    r.type = MountType::volume;
    r.target = target;
    requests.push_back(std::move(r));
  }
}

namespace {

// The flag pairs a tmpfs option may set or clear: the last one wins.
constexpr std::array<std::pair<const char*, const char*>, 11> kTmpfsFlagPairs = {{
    {"ro", "rw"},
    {"nosuid", "suid"},
    {"nodev", "dev"},
    {"noexec", "exec"},
    {"sync", "async"},
    {"mand", "nomand"},
    {"noatime", "atime"},
    {"nodiratime", "diratime"},
    {"relatime", "norelatime"},
    {"strictatime", "nostrictatime"},
    {"dirsync", "dirsync"},
}};
constexpr std::array kTmpfsDataKeys = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"};

// Which option a later one replaces: a flag's pair, one propagation, a key.
Result<std::string> tmpfs_option_kind(const std::string& o) {
  for (auto& [set, clear] : kTmpfsFlagPairs)
    if (o == set || o == clear) return std::string(set);
  if (is_propagation(o)) return std::string("propagation");
  auto eq = o.find('=');
  std::string key = o.substr(0, eq);
  if (eq == std::string::npos || std::ranges::find(kTmpfsDataKeys, key) == kTmpfsDataKeys.end())
    return fail_code(EINVAL, "invalid tmpfs option \"" + o + "\"");
  return key + "=";
}

}  // namespace

Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& user) {
  std::vector<std::string> all = {"noexec", "nosuid", "nodev", "rprivate"};
  all.insert(all.end(), user.begin(), user.end());
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (*it == "defaults" || it->empty()) continue;
    if (seen.insert(HUSK_TRY(tmpfs_option_kind(*it))).second) out.insert(out.begin(), *it);
  }
  return out;
}

Result<spec::Mount> oci_mount(const MountRequest& r, const std::string& source) {
  spec::Mount m;
  m.destination = r.target;
  if (r.type == MountType::tmpfs) {
    m.type = "tmpfs";
    m.source = "tmpfs";
    m.options = HUSK_TRY(merge_tmpfs_options(r.tmpfs_options));
    return m;
  }
  m.type = "bind";
  m.source = source;
  m.options = {r.nonrecursive ? "bind" : "rbind"};
  if (r.readonly) {
    m.options.push_back("ro");
    // docker (25+) makes a read-only bind read-only all the way down.
    if (!r.nonrecursive) m.options.push_back("rro");
  }
  m.options.push_back(r.propagation.empty() ? "rprivate" : r.propagation);
  return m;
}

namespace {

size_t depth(const std::string& path) {
  return static_cast<size_t>(std::ranges::count(clean_path(path), '/'));
}

}  // namespace

void put_mounts(spec::Config& spec, std::vector<spec::Mount> user) {
  std::set<std::string> targets;
  for (auto& m : user) targets.insert(m.destination);
  bool own_dev = targets.contains("/dev");
  std::erase_if(spec.mounts, [&](const spec::Mount& m) {
    std::string dest = clean_path(m.destination);
    return targets.contains(dest) || (own_dev && dest.starts_with("/dev/"));
  });
  std::stable_sort(user.begin(), user.end(), [](const spec::Mount& a, const spec::Mount& b) {
    return depth(a.destination) < depth(b.destination);
  });
  for (auto& m : user) spec.mounts.push_back(std::move(m));
}

namespace {

// Registered undo steps run when the container's create fails after us.
void on_failure(const SpecContext& ctx, std::function<void()> step) {
  if (ctx.undo) ctx.undo->push_back(std::move(step));
}

// -v HOST:CTR with HOST missing: docker makes it (0755, with its parents).
Result<void> make_bind_source(const SpecContext& ctx, const std::string& path) {
  if (path_exists(path)) return {};
  std::vector<std::string> made;  // deepest last
  for (std::string p = path; p != "/" && !path_exists(p); p = p.substr(0, std::max<size_t>(p.rfind('/'), 1)))
    made.insert(made.begin(), p);
  HUSK_TRY_CTX(mkdir_all(path, 0755), "create the host directory of a -v bind");
  on_failure(ctx, [made] {
    for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
  });
  return {};
}

// The image's files at the volume's target go into a volume that is empty.
Result<void> seed_volume(const SpecContext& ctx, const VolumeStore& vs, const MountRequest& r) {
  if (r.nocopy || ctx.rootfs.empty()) return {};
  UniqueFd root = HUSK_TRY(open_fd(ctx.rootfs, O_PATH | O_DIRECTORY));
  auto src = open_in_root(root.get(), r.target, O_RDONLY | O_DIRECTORY);
  if (!src) {
    int e = src.error().err();
    if (e == ENOENT || e == ENOTDIR) return {};  // nothing there to copy
    return fail(std::move(src).error());
  }
  return vs.seed(r.source, src->get());
}

Result<std::string> provide_source(const SpecContext& ctx, const VolumeStore& vs, const MountRequest& r,
                                   bool anonymous) {
  if (r.type == MountType::tmpfs) return std::string();
  if (r.type == MountType::bind) {
    if (r.create_source) HUSK_TRY(make_bind_source(ctx, r.source));
    return r.source;
  }
  auto labels = r.labels;
  if (anonymous) labels[std::string(kAnonymousLabel)] = "";
  bool created = false;
  auto v = HUSK_TRY(vs.create(r.source, labels, &created));
  if (created) on_failure(ctx, [vs, name = r.source] { (void)vs.remove(name); });
  HUSK_TRY(seed_volume(ctx, vs, r));
  return v.mountpoint;
}

// Every --volumes-from donor's mounts, as docker's: before the flags' own,
// which take a target from them.
Result<void> add_volumes_from(const SpecContext& ctx, const RunFlags& f,
                              std::vector<MountRequest>& requests) {
  std::vector<MountRequest> taken;
  VolumeStore vs(ctx.store_root);
  for (auto& flag : f.volumes_from) {
    auto from = HUSK_TRY(parse_volumes_from(flag));
    auto donor = ctx.find_container(from.container);
    if (!donor && donor.error().err() == ENOENT)
      return fail_code(ENOENT, "No such container: " + from.container);
    std::string dir = ctx.store_root + "/containers/" + HUSK_TRY(std::move(donor)).id;  // ContainerStore::dir
    auto config = HUSK_TRY_CTX(spec::load_config(dir + "/oci-bundle/config.json"), "--volumes-from " + flag);
    for (auto& r : donor_mounts(config, dir, ctx.store_root + "/volumes", from.readonly)) {
      // A volume removed since (docker's "no such volume") is not made again, empty.
      if (r.type == MountType::volume) HUSK_TRY_CTX(vs.get(r.source), "--volumes-from " + flag);
      std::erase_if(taken, [&](const MountRequest& t) { return t.target == r.target; });
      taken.push_back(std::move(r));
    }
  }
  std::erase_if(taken, [&](const MountRequest& t) {
    return std::ranges::any_of(requests, [&](const MountRequest& r) { return r.target == t.target; });
  });
  requests.insert(requests.begin(), taken.begin(), taken.end());
  return {};
}

}  // namespace

Result<void> apply_mounts(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  if (f.read_only) spec.root.readonly = true;
  auto requests = HUSK_TRY(mount_requests(f));
  HUSK_TRY(add_volumes_from(ctx, f, requests));
  // /etc/hosts, hostname, resolv.conf first: the user's mounts cover them.
  HUSK_TRY(apply_etc_files(ctx, f, spec));
  add_image_volumes(requests, ctx.image_volumes);
  if (requests.empty()) return {};
  // Anonymous volumes get their names, and the container is recorded as
  // the user of every volume before any is made.
  std::vector<std::string> volumes;
  std::vector<bool> anonymous;
  for (auto& r : requests) {
    anonymous.push_back(r.type == MountType::volume && r.source.empty());
    if (anonymous.back()) r.source = new_container_id();
    if (r.type == MountType::volume) volumes.push_back(r.source);
  }
  VolumeStore vs(ctx.store_root);
  if (!volumes.empty()) HUSK_TRY(vs.set_users(ctx.id, volumes));
  std::vector<spec::Mount> mounts;
  for (size_t i = 0; i < requests.size(); ++i) {
    std::string source = HUSK_TRY(provide_source(ctx, vs, requests[i], anonymous[i]));
    mounts.push_back(HUSK_TRY(oci_mount(requests[i], source)));
  }
  put_mounts(spec, std::move(mounts));
  return {};
}

}  // namespace husk::engine
