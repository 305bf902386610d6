// The runtime-spec state document (what `state ID` prints) plus the private
// fields husk keeps beside it to find the container again.
#pragma once

#include <map>
#include <string>

#include "base/error.hpp"

namespace husk::spec {

// A container id as runc accepts it: letters, digits and _+-. ; never "."
// or "..", never a '/' (it names a directory under the runtime's root).
Result<void> validate_id(const std::string& id);

enum class Status { creating, created, running, paused, stopped };
std::string status_name(Status s);

struct State {
  std::string oci_version = "1.2.0";
  std::string id;
  Status status = Status::creating;
  int pid = 0;
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339, UTC
  std::string owner;
  std::map<std::string, std::string> annotations;

  // husk's own: identifies the init process across pid reuse.
  unsigned long long pid_start_time = 0;
  std::string cgroup_path;  // resolved cgroupsPath
  bool systemd_cgroup = false;
  bool pid_namespace_owned = true;  // whether killing init ends every process
  // The init holds this fd (the write end of its start pipe) until `start`:
  // /proc/PID/fd/START_FD is how `start` wakes it and how "created" is told apart.
  int start_fd = -1;
};

// The spec's state JSON (what `state` prints, what hooks read on stdin).
std::string state_to_spec_json(const State& s);
// The runtime-spec's "container process state", what a seccomp agent gets
// with the listener's fd (SCM_RIGHTS, named "seccompFd"): the process PID
// (init or exec'd), the agent's METADATA (linux.seccomp.listenerMetadata).
std::string container_process_state_json(const State& s, int pid, const std::string& metadata);
// The stored form: the spec fields plus husk's.
std::string state_to_store_json(const State& s);
Result<State> state_from_store_json(std::string_view text);

}  // namespace husk::spec
