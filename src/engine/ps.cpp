#include "engine/ps.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "engine/health.hpp"
#include "engine/inspect.hpp"
#include "engine/listing.hpp"
#include "engine/network.hpp"
#include "engine/restart.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// docker's ps filter keys (daemon/list.go); the ones it takes that husk has
// nothing to match on (isolation, is-task, publish, expose) are refused
// rather than silently matching everything.
const std::vector<std::string> kFilterKeys = {"ancestor", "before",  "exited", "health", "id",    "label",
                                              "name",     "network", "since",  "status", "volume"};
const std::vector<std::string> kHealthValues = {"starting", "healthy", "unhealthy", "none"};
const std::vector<std::string> kStates = {"created", "restarting", "running", "removing",
                                          "paused",  "exited",     "dead"};

bool up(LiveStatus live) { return live == LiveStatus::running || live == LiveStatus::paused; }
// docker counts a restarting container as running (ps lists it without -a).
bool up(const PsEntry& e) { return up(e.live) || e.restarting; }

// docker's formatter.Ellipsis: at most WIDTH characters, the last one "…".
std::string ellipsis(const std::string& s, size_t width) {
  std::vector<size_t> starts;  // where each UTF-8 character starts
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) starts.push_back(i);
  if (starts.size() <= width) return s;
  return s.substr(0, starts[width - 1]) + "…";
}

// Go's strconv.Quote for the text commands hold.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// docker's name filter: a regular expression, found anywhere in the name
// (with or without docker's leading "/"); one that does not parse matches
// nothing.
bool name_matches(const std::string& pattern, const std::string& name) {
  try {
    std::regex re(pattern);
    return std::regex_search(name, re) || std::regex_search("/" + name, re);
  } catch (const std::regex_error&) {
    return false;
  }
}

// The container WHAT names among ENTRIES (name, id, or a unique id prefix): its index.
Result<size_t> index_of(const std::vector<PsEntry>& entries, const std::string& what) {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].rec.name == what || entries[i].rec.id == what) return i;
  std::optional<size_t> hit;
  for (size_t i = 0; i < entries.size(); ++i)
    if (what.size() >= 3 && entries[i].rec.id.starts_with(what)) {
      if (hit) return fail_code(EINVAL, "container id prefix \"" + what + "\" is ambiguous");
      hit = i;
    }
  if (hit) return *hit;
  return fail_code(ENOENT, "no such container: " + what);
}

// Does E pass every filter but before/since (which depend on the order)?
bool matches(const PsEntry& e, const PsFilter& f, const std::vector<std::string>& ancestor_ids) {
  auto any = [&](const std::string& key, auto&& pred) {
    if (!f.has(key)) return true;
    auto& vs = f.values(key);
    return std::any_of(vs.begin(), vs.end(), pred);
  };
  const ContainerRecord& r = e.rec;
  bool ok = any("name", [&](const std::string& v) { return name_matches(v, r.name); }) &&
            any("id", [&](const std::string& v) { return r.id.starts_with(v); }) &&
            any("status", [&](const std::string& v) { return v == ps_state(r, e.live, e.restarting); }) &&
            any("health",
                [&](const std::string& v) { return v == (e.health.empty() ? "none" : e.health); }) &&
            any("exited",
                [&](const std::string& v) {
                  return e.live == LiveStatus::exited && !r.started.empty() && std::stoi(v) == r.exit_code;
                }) &&
            any("ancestor",
                [&](const std::string& v) {
                  return r.image == v || std::find(ancestor_ids.begin(), ancestor_ids.end(), r.image_id) !=
                                             ancestor_ids.end();
                }) &&
            any("volume",
                [&](const std::string& v) {
                  return std::any_of(e.mounts.begin(), e.mounts.end(), [&](const PsEntry::Mount& m) {
                    return m.destination == v || (m.name.empty() ? m.source : m.name) == v;
                  });
                }) &&
            any("network", [&](const std::string& v) {
              return std::any_of(e.networks.begin(), e.networks.end(), [&](const PsEntry::Network& n) {
                return n.name == v || (!n.id.empty() && n.id.starts_with(v));
              });
            });
  if (!ok || !f.has("label")) return ok;
  // Every label asked for, as docker's MatchKVList: KEY, or KEY=VALUE.
  for (auto& v : f.values("label")) {
    auto eq = v.find('=');
    auto it = e.labels.find(v.substr(0, eq));
    if (it == e.labels.end() || (eq != std::string::npos && it->second != v.substr(eq + 1))) return false;
  }
  return true;
}

// docker's PORTS: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp" while it runs.
std::string ports_text(const Engine& eng, const ContainerRecord& r, bool running) {
  if (!running || (r.flags.publish.empty() && !r.flags.publish_all)) return "";
  std::string out;
  auto eps = endpoints_of(eng.run_root(), r.id);
  if (!eps.empty())
    for (auto& p : eps[0].ports)
      out += (out.empty() ? "" : ", ") + (p.host_address ? p.host_address->str() : std::string("0.0.0.0")) +
             ":" + std::to_string(p.host_port) + "->" + std::to_string(p.port) + "/" + p.proto;
  return out;
}

// The networks as docker's NetworkSettings.Networks names them: the
// engine's it is on, else its mode (none, host); none for container:NAME.
std::vector<PsEntry::Network> networks_of(const ContainerRecord& r) {
  std::vector<PsEntry::Network> out;
  for (auto& a : attachments_of(r)) out.push_back({a.name, a.id});
  std::string mode = r.flags.network.empty() || r.flags.network == "default" ? "bridge" : r.flags.network;
  if (out.empty() && !mode.starts_with("container:")) out.push_back({mode, ""});
  return out;
}

// The bytes of the regular files under DIR, symlinks not followed
// (docker's SizeRw of the upper dir).
uint64_t dir_bytes(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2) && !it->is_symlink(e2)) total += it->file_size(e2);
  }
  return total;
}

}  // namespace

std::string ps_state(const ContainerRecord& rec, LiveStatus live, bool restarting) {
  if (live == LiveStatus::lost && rec.status == "dead") return "dead";
  if (live == LiveStatus::exited && restarting) return "restarting";
  return std::string(to_string(live));
}

std::string ps_status(const ContainerRecord& rec, LiveStatus live, time_t now, const std::string& health,
                      bool restarting) {
  auto since = [&](const std::string& t) {
    auto at = parse_rfc3339_seconds(t);
    return human_duration(at ? std::difftime(now, *at) : 0);
  };
  if (live == LiveStatus::exited && restarting)
    return "Restarting (" + std::to_string(rec.exit_code) + ") " + since(rec.finished) + " ago";
  switch (live) {
    case LiveStatus::running:
      if (health.empty()) return "Up " + since(rec.started);
      return "Up " + since(rec.started) +
             (health == "starting" ? " (health: starting)" : " (" + health + ")");
    case LiveStatus::paused:
      return "Up " + since(rec.started) + " (Paused)";
    case LiveStatus::lost:
      // Its end was never recorded (its runner died, or /run was lost).
      return rec.status == "dead" ? "Dead" : "Exited (unknown)";
    case LiveStatus::exited: {
      std::string code = "Exited (" + std::to_string(rec.exit_code) + ")";
      return rec.finished.empty() ? code : code + " " + since(rec.finished) + " ago";
    }
    case LiveStatus::created:
      return "Created";
  }
  return "";
}

std::string ps_command(const std::vector<std::string>& command, bool full) {
  std::string cmd;
  for (auto& a : command) cmd += (cmd.empty() ? "" : " ") + a;
  return go_quote(full ? cmd : ellipsis(cmd, 20));
}

Result<PsFilter> PsFilter::parse(const std::vector<std::string>& args) {
  PsFilter f;
  for (auto& a : args) {
    auto eq = a.find('=');
    std::string key = a.substr(0, eq);
    if (eq == std::string::npos ||
        std::find(kFilterKeys.begin(), kFilterKeys.end(), key) == kFilterKeys.end())
      return fail_code(EINVAL, "invalid filter '" + key + "'", ErrorKind::invalid_argument);
    std::string value = a.substr(eq + 1);
    bool bad_state = key == "status" && std::find(kStates.begin(), kStates.end(), value) == kStates.end();
    bool bad_code =
        key == "exited" &&
        (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 9);
    if (bad_state || bad_code)
      return fail_code(EINVAL, "invalid filter '" + a + "'", ErrorKind::invalid_argument);
    if (key == "health" &&
        std::find(kHealthValues.begin(), kHealthValues.end(), value) == kHealthValues.end())
      return fail_code(EINVAL, "Unrecognised filter value for health: " + value, ErrorKind::invalid_argument);
    f.terms_[key].push_back(value);
  }
  return f;
}

const std::vector<std::string>& PsFilter::values(const std::string& key) const {
  static const std::vector<std::string> kNone;
  auto it = terms_.find(key);
  return it == terms_.end() ? kNone : it->second;
}

Result<std::vector<PsEntry>> select_containers(std::vector<PsEntry> entries, const PsOptions& opts,
                                               const ImageIdOf& image_id_of) {
  const PsFilter& f = opts.filter;
  // As docker: the last before= and since= count; they name a container
  // that must exist.
  std::optional<size_t> before, since;
  if (f.has("before")) before = HUSK_TRY(index_of(entries, f.values("before").back()));
  if (f.has("since")) since = HUSK_TRY(index_of(entries, f.values("since").back()));
  std::vector<std::string> ancestor_ids;
  for (auto& a : f.values("ancestor"))
    if (auto id = image_id_of(a)) ancestor_ids.push_back(*id);
  // docker lists stopped ones too for -n, and for a status filter.
  bool all = opts.all || opts.last > 0 || f.has("status");
  std::vector<PsEntry> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (before && i <= *before) continue;  // newer than it, or it
    if (since && i >= *since) break;       // it, or older
    if (opts.last > 0 && out.size() >= static_cast<size_t>(opts.last)) break;
    if (!all && !up(entries[i])) continue;
    if (!matches(entries[i], f, ancestor_ids)) continue;
    out.push_back(std::move(entries[i]));
  }
  return out;
}

Result<std::vector<PsEntry>> ps_entries(const Engine& eng) {
  std::vector<PsEntry> out;
  for (auto& r : HUSK_TRY(eng.containers().list())) {
    PsEntry e;
    e.live = eng.live_status(r);
    e.labels = container_labels(eng, r);
    // Not the container's own files bound in (/etc/hosts, ...): docker does not list them.
    std::string own = eng.containers().dir(r.id) + "/";
    for (auto& m : container_mounts(eng, r))
      if (!m.value("Source", "").starts_with(own))
        e.mounts.push_back({m.value("Name", ""), m.value("Source", ""), m.value("Destination", "")});
    e.networks = networks_of(r);
    e.ports = ports_text(eng, r, up(e.live));
    e.restarting = e.live == LiveStatus::exited && waiting_to_restart(eng.containers().dir(r.id));
    if (health_active(r.healthcheck))
      if (auto h = read_health(eng.containers().dir(r.id)); h && *h) e.health = (*h)->status;
    e.rec = std::move(r);
    out.push_back(std::move(e));
  }
  return out;
}

void add_sizes(const Engine& eng, std::vector<PsEntry>& entries) {
  for (auto& e : entries) {
    e.size_rw = dir_bytes(eng.containers().dir(e.rec.id) + "/upper");
    uint64_t image = 0;
    if (auto img = eng.images().find_image(e.rec.image_id)) image = image::image_size(eng.images(), *img);
    e.size_root_fs = *e.size_rw + image;
  }
}

json ps_row(const PsEntry& e, bool trunc, time_t now) {
  const ContainerRecord& r = e.rec;
  std::string labels;
  for (auto& [k, v] : e.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  std::string mounts;
  int volumes = 0;
  for (auto& m : e.mounts) {
    std::string name = m.name.empty() ? m.source : m.name;
    mounts += (mounts.empty() ? "" : ",") + (trunc ? ellipsis(name, 15) : name);
    volumes += !m.name.empty();
  }
  std::vector<std::string> names;
  for (auto& n : e.networks) names.push_back(n.name);
  std::sort(names.begin(), names.end());
  std::string networks;
  for (auto& n : names) networks += (networks.empty() ? "" : ",") + n;
  // docker's: the upper dir's size, with the image's under it when known.
  std::string size = human_size(e.size_rw.value_or(0));
  if (e.size_root_fs.value_or(0) > 0) size += " (virtual " + human_size(*e.size_root_fs) + ")";
  return {{"Command", ps_command(r.command, !trunc)},
          {"CreatedAt", docker_time(r.created)},
          {"ID", trunc ? r.id.substr(0, 12) : r.id},
          {"Image", r.image},
          {"Labels", labels},
          {"LocalVolumes", std::to_string(volumes)},
          {"Mounts", mounts},
          {"Names", r.name},
          {"Networks", networks},
          {"Ports", e.ports},
          {"RunningFor", time_ago(r.created, now)},
          {"Size", size},
          {"State", ps_state(r, e.live, e.restarting)},
          {"Status", ps_status(r, e.live, now, e.health, e.restarting)}};
}

std::string label_header(const std::string& key) {
  std::string h = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
  for (char& c : h)
    c = c == '-' || c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace husk::engine
