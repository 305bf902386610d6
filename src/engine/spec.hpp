// From docker's flags to the container's config.json. The config starts from
// the image (entrypoint + cmd, env, user, working dir: engine/container_config);
// each module here then applies one concern of the flags to the typed spec,
// with docker's defaults, units and conversions, and refuses a bad value
// with one clear message (the container is then not made at all).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/containers.hpp"
#include "engine/run_flags.hpp"
#include "net/cidr.hpp"
#include "spec/config.hpp"

namespace husk::engine {

struct SpecContext {
  std::string id;             // the container's id
  std::string container_dir;  // ROOT/containers/ID: the engine's files for it
  std::string store_root;     // ROOT: volumes live in ROOT/volumes
  std::string rootfs;         // the container's root, mounted (users, mount targets)
  std::string husk_binary;    // /proc/self/exe's target: what --init runs as PID 1
  std::string run_root;       // the engine's run root: --network bridge's namespace is kept there
  // container:NAME -> the pid of that container's running init (its
  // namespaces are /proc/PID/ns/*); an error when it does not run.
  std::function<Result<pid_t>(const std::string& name)> container_pid;
  // What a module made outside the bundle (a volume, a -v host dir) is
  // undone by the steps it adds here when the create fails after it.
  std::vector<std::function<void()>>* undo = nullptr;
  // container:NAME -> that container's record (its flags say whether its
  // IPC is shareable, which user namespace it has).
  std::function<Result<ContainerRecord>(const std::string& name)> find_container;
  // The image's VOLUMEs: anonymous volumes unless the flags mount them.
  std::vector<std::string> image_volumes;
  // --userns=remap|auto: the maps the root was mounted for (engine/userns).
  std::vector<spec::IdMapping> uid_map, gid_map;
  // What the user is to be told (a limit the host cannot set...): the
  // command prints it.
  std::vector<std::string>* warnings = nullptr;
  // --add-host NAME:host-gateway's address: the default bridge's gateway.
  std::function<Result<net::Ipv4>()> host_gateway;
  // The first network's name server, for its resolv.conf (none: the host's).
  std::optional<net::Ipv4> nameserver;
  // The config file's "dns": nameservers in place of the host's.
  std::vector<std::string> default_dns;
  void warn(std::string what) const {
    if (warnings) warnings->push_back(std::move(what));
  }
};

// -m, --memory-swap, --memory-reservation, --cpus, --cpu-*, --cpuset-*,
// --pids-limit, --blkio-weight, --device-*-bps/iops, --oom-kill-disable:
// linux.resources (engine/resources.cpp).
Result<void> apply_resources(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec);
// --cap-add/--cap-drop, --privileged, --security-opt, --ulimit, --sysctl,
// --device, --oom-score-adj (engine/security.cpp).
Result<void> apply_security(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec);
// -v, --mount, --tmpfs, --read-only, named volumes (engine/mounts.cpp).
Result<void> apply_mounts(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec);
// --ipc, --pid, --uts, --network, --userns, --cgroupns, --time-offset,
// --domainname, --init (engine/namespaces.cpp).
Result<void> apply_namespaces(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec);
// At each start: the namespaces of the --ipc/--pid/--network=container:NAME
// containers as they are now (NAME may have been restarted since: docker
// resolves them at start too). An error when NAME does not run.
Result<void> rejoin_namespaces(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec);

// All of them, in order, plus --label/--annotation/--stop-signal.
Result<void> apply_flags(const SpecContext& ctx, const RunFlags& flags, spec::Config& spec);

}  // namespace husk::engine
