// Which cgroup layout the host has, read once from /proc/self/mountinfo.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::cgroups {

enum class LayoutKind { v1, hybrid, v2 };
std::string layout_name(LayoutKind k);

struct Hierarchy {
  std::string mount_point;               // /sys/fs/cgroup/memory
  std::string root;                      // the mount's root within the hierarchy (usually "/")
  std::vector<std::string> controllers;  // "memory"; "name=systemd"; empty for cgroup2
  bool cgroup2 = false;
};

struct Layout {
  LayoutKind kind = LayoutKind::v2;
  std::vector<Hierarchy> hierarchies;  // v1 ones first, the cgroup2 one last
  const Hierarchy* unified() const;
};

// Parses mountinfo text; exposed so tests can feed it any host's layout.
Result<Layout> parse_layout(std::string_view mountinfo);
Result<Layout> detect_layout();

// The cgroup of PID in each hierarchy, from /proc/PID/cgroup text:
// key is the controller list ("memory", "name=systemd", "" for v2).
std::vector<std::pair<std::string, std::string>> parse_proc_cgroup(std::string_view text);

}  // namespace husk::cgroups
