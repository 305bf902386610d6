#include "engine/events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "monitor/log_writer.hpp"

namespace husk::engine {

using nlohmann::ordered_json;

namespace {

constexpr std::string_view kLogName = "events.log";

bool is_container(const Event& e) { return e.type == "container"; }

// The log's lines from FD's offset on, whole lines only; OFFSET moves past them.
void read_lines(int fd, off_t& offset, const std::function<void(std::string_view)>& line) {
  std::string pending;
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset + static_cast<off_t>(pending.size()));
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0;
  for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
    line(std::string_view(pending).substr(start, nl - start));
  offset += static_cast<off_t>(start);
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

ordered_json event_json(const Event& e) {
  ordered_json j;
  if (is_container(e)) {
    j["status"] = e.action;
    j["id"] = e.id;
    if (auto it = e.attributes.find("image"); it != e.attributes.end()) j["from"] = it->second;
  }
  j["Type"] = e.type;
  j["Action"] = e.action;
  ordered_json attrs = ordered_json::object();
  for (auto& [k, v] : e.attributes) attrs[k] = v;
  j["Actor"] = {{"ID", e.id}, {"Attributes", attrs}};
  j["scope"] = "local";
  j["time"] = e.time_nano / 1000000000;
  j["timeNano"] = e.time_nano;
  return j;
}

std::optional<Event> event_from_json(std::string_view line) {
  try {
    auto j = nlohmann::json::parse(line);
    Event e;
    e.type = j.at("Type").get<std::string>();
    e.action = j.at("Action").get<std::string>();
    e.id = j.at("Actor").at("ID").get<std::string>();
    for (auto& [k, v] : j.at("Actor").at("Attributes").items()) e.attributes[k] = v.get<std::string>();
    e.time_nano = j.at("timeNano").get<int64_t>();
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a torn or foreign line: not an event
  }
}

std::string event_line(const Event& e) {
  std::string out = monitor::format_rfc3339_nano_fixed(e.time_nano) + " " + e.type + " " + e.action + " " + e.id;
  if (!e.attributes.empty()) {
    out += " (";
    bool first = true;
    for (auto& [k, v] : e.attributes) {
      if (!first) out += ", ";
      out += k + "=" + v;
      first = false;
    }
    out += ")";
  }
  return out;
}

Result<EventFilter> EventFilter::parse(const std::vector<std::string>& specs) {
  static const std::vector<std::string> kKeys{"container", "event", "image", "label", "network", "type", "volume"};
  EventFilter f;
  for (auto& s : specs) {
    auto eq = s.find('=');
    if (eq == std::string::npos)
      return fail(Error(EINVAL, "bad format of filter (expected name=value)", false, ErrorKind::invalid_argument));
    std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
      return fail(Error(EINVAL, "invalid filter '" + key + "'", false, ErrorKind::invalid_argument));
    if (key == "type" && value != "container" && value != "image" && value != "network" && value != "volume" &&
        value != "daemon" && value != "plugin" && value != "service" && value != "node" && value != "secret" &&
        value != "config")
      return fail(Error(EINVAL, "invalid filter 'type=" + value + "'", false, ErrorKind::invalid_argument));
    f.by_key_[key].push_back(value);
  }
  return f;
}

bool EventFilter::matches(const Event& e) const {
  auto attr = [&](const std::string& k) -> std::string {
    auto it = e.attributes.find(k);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  for (auto& [key, values] : by_key_) {
    auto any = [&](const std::function<bool(const std::string&)>& hit) {
      return std::any_of(values.begin(), values.end(), hit);
    };
    bool ok = true;
    if (key == "type") {
      ok = any([&](const std::string& v) { return v == e.type; });
    } else if (key == "event") {
      // "exec_start" also matches "exec_start: sh -c ..." as docker's does.
      ok = any([&](const std::string& v) { return e.action == v || starts_with(e.action, v + ": "); });
    } else if (key == "container") {
      ok = is_container(e) && any([&](const std::string& v) {
             return v == attr("name") || (!v.empty() && starts_with(e.id, v));
           });
    } else if (key == "image") {
      // A container's image, or an image event's reference (with or without its tag).
      std::string ref = is_container(e) ? attr("image") : e.id;
      std::string name = e.type == "image" ? attr("name") : std::string();
      ok = (is_container(e) || e.type == "image") && any([&](const std::string& v) {
             return v == ref || v == name || ref == v + ":latest" || starts_with(ref, v + "@") ||
                    (!v.empty() && starts_with(ref, v) && ref.size() == 64 + 7);
           });
    } else if (key == "label") {
      ok = any([&](const std::string& v) {
        auto eq = v.find('=');
        if (eq == std::string::npos) return e.attributes.count(v) > 0;
        auto it = e.attributes.find(v.substr(0, eq));
        return it != e.attributes.end() && it->second == v.substr(eq + 1);
      });
    } else if (key == "network") {
      ok = e.type == "network" &&
           any([&](const std::string& v) { return v == attr("name") || (!v.empty() && starts_with(e.id, v)); });
    } else if (key == "volume") {
      ok = e.type == "volume" && any([&](const std::string& v) { return v == e.id; });
    }
    if (!ok) return false;
  }
  return true;
}

EventLog::EventLog(const std::string& store_root) : dir_(store_root), path_(store_root + "/" + std::string(kLogName)) {}

void EventLog::record(Event e) const noexcept {
  try {
    if (e.time_nano == 0) e.time_nano = monitor::log_time_now();
    std::string line = event_json(e).dump() + "\n";
    UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return;
    if (::write(fd.get(), line.data(), line.size()) < 0) return;
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0 || st.st_size < kEventLogMax) return;
    // Full: whoever holds the lock first renames it, if it is still this one.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) return;
    if (inode_of(path_) == st.st_ino) (void)::rename(path_.c_str(), (path_ + ".1").c_str());
  } catch (...) {
    // Best effort: the event is lost, not what it reports.
  }
}

std::vector<Event> EventLog::read(int64_t since_nano, std::optional<int64_t> until_nano) const {
  std::vector<Event> out;
  for (const std::string& p : {path_ + ".1", path_}) {
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    off_t offset = 0;
    read_lines(fd.get(), offset, [&](std::string_view line) {
      auto e = event_from_json(line);
      if (e && e->time_nano >= since_nano && (!until_nano || e->time_nano <= *until_nano))
        out.push_back(std::move(*e));
    });
  }
  return out;
}

Result<void> EventLog::follow(std::optional<int64_t> since_nano, std::optional<int64_t> until_nano,
                              const std::function<bool(const Event&)>& sink) const {
  UniqueFd notify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!notify) return fail_errno("inotify_init1");
  // The store's directory: the log made, written, or renamed away.
  if (::inotify_add_watch(notify.get(), dir_.c_str(), IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO) < 0)
    return fail_errno("watch " + dir_);
  // Watched before the log is opened: nothing written meanwhile is missed.
  bool go_on = true;
  auto each = [&](std::string_view line) {
    if (!go_on) return;
    auto e = event_from_json(line);
    if (!e || (since_nano && e->time_nano < *since_nano)) return;
    if (until_nano && e->time_nano > *until_nano) {
      go_on = false;
      return;
    }
    go_on = sink(*e);
  };
  if (since_nano) {
    UniqueFd older(::open((path_ + ".1").c_str(), O_RDONLY | O_CLOEXEC));
    off_t at = 0;
    if (older) read_lines(older.get(), at, each);
  }
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  off_t offset = 0;
  if (fd && !since_nano) {
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0) offset = st.st_size;  // only what comes after now
  }
  auto drain = [&]() -> bool {
    if (fd && go_on) read_lines(fd.get(), offset, each);
    return go_on;
  };
  for (;;) {
    if (!drain()) return {};
    // Renamed away (full): what it still had is read above; on to the new one.
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) < 0 || inode_of(path_) != st.st_ino) {
      UniqueFd next(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (next) {
        fd = std::move(next);
        offset = 0;
        continue;
      }
    }
    int timeout = -1;
    if (until_nano) {
      int64_t left = *until_nano - monitor::log_time_now();
      if (left < 0) return {};
      timeout = static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 60000));
    }
    pollfd p{notify.get(), POLLIN, 0};
    int n = ::poll(&p, 1, timeout);
    if (n < 0 && errno != EINTR) return fail_errno("poll");
    char buf[4096];
    while (::read(notify.get(), buf, sizeof buf) > 0) {
    }
  }
}

Event container_event(std::string_view action, const std::string& id, const std::string& image,
                      const std::string& name, const std::vector<std::string>& labels,
                      std::map<std::string, std::string> extra) {
  Event e;
  e.type = "container";
  e.action = std::string(action);
  e.id = id;
  for (auto& l : labels) {
    auto eq = l.find('=');
    e.attributes[l.substr(0, eq)] = eq == std::string::npos ? std::string() : l.substr(eq + 1);
  }
  e.attributes["image"] = image;
  e.attributes["name"] = name;
  for (auto& [k, v] : extra) e.attributes[k] = v;
  return e;
}

Event image_event(std::string_view action, const std::string& id, const std::string& name) {
  return Event{"image", std::string(action), id, {{"name", name}}, 0};
}

}  // namespace husk::engine
