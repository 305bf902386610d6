#include "cgroups/layout.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::cgroups {

std::string layout_name(LayoutKind k) {
  switch (k) {
    case LayoutKind::v1:
      return "v1";
    case LayoutKind::hybrid:
      return "hybrid";
    case LayoutKind::v2:
      return "v2";
  }
  return "?";
}

const Hierarchy* Layout::unified() const {
  for (auto& h : hierarchies)
    if (h.cgroup2) return &h;
  return nullptr;
}

namespace {
// mountinfo escapes spaces and friends as \040 etc.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        if (s[i + k] < '0' || s[i + k] > '7') {
          ok = false;
          break;
        }
        v = v * 8 + (s[i + k] - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}
}  // namespace

Result<Layout> parse_layout(std::string_view mountinfo) {
  Layout l;
  std::vector<Hierarchy> v1;
  std::optional<Hierarchy> v2;
  for (auto& line : split(mountinfo, '\n')) {
    if (line.empty()) continue;
    auto fields = split(line, ' ');
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t dash = 0;
    for (size_t i = 6; i < fields.size(); ++i)
      if (fields[i] == "-") {
        dash = i;
        break;
      }
    if (dash == 0 || dash + 3 > fields.size()) continue;
    const std::string& fstype = fields[dash + 1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.root = unescape(fields[3]);
    h.mount_point = unescape(fields[4]);
    if (fstype == "cgroup2") {
      h.cgroup2 = true;
      // The first cgroup2 mount under /sys/fs/cgroup is the host's.
      if (!v2 && h.mount_point.starts_with("/sys/fs/cgroup")) v2 = h;
      continue;
    }
    if (!h.mount_point.starts_with("/sys/fs/cgroup/")) continue;
    for (auto& opt : split(dash + 3 < fields.size() ? fields[dash + 3] : "", ',')) {
      if (opt == "rw" || opt == "ro" || opt.empty() || opt == "clone_children" ||
          opt.starts_with("release_agent=") || opt == "noprefix" || opt == "xattr" ||
          opt == "cpuset_v2_mode" || opt == "favordynmods" || opt == "nsdelegate" ||
          opt == "memory_recursiveprot" || opt == "memory_localevents" || opt == "seclabel")
        continue;
      h.controllers.push_back(opt);
    }
    bool dup = false;
    for (auto& e : v1)
      if (e.controllers == h.controllers) dup = true;  // the same hierarchy mounted twice
    if (!dup) v1.push_back(std::move(h));
  }
  if (v1.empty() && !v2) return fail_code(ENOENT, "no cgroup filesystem is mounted under /sys/fs/cgroup");
  l.hierarchies = std::move(v1);
  if (l.hierarchies.empty()) {
    l.kind = LayoutKind::v2;
  } else {
    l.kind = v2 ? LayoutKind::hybrid : LayoutKind::v1;
  }
  if (v2) l.hierarchies.push_back(*v2);
  return l;
}

Result<Layout> detect_layout() {
  auto text = HUSK_TRY(read_file("/proc/self/mountinfo"));
  return parse_layout(text);
}

std::vector<std::pair<std::string, std::string>> parse_proc_cgroup(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& line : split(text, '\n')) {
    auto first = line.find(':');
    if (first == std::string::npos) continue;
    auto second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    out.emplace_back(line.substr(first + 1, second - first - 1), line.substr(second + 1));
  }
  return out;
}

}  // namespace husk::cgroups
