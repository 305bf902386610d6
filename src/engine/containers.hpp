// The engine's containers as users see them: a name, the image they came
// from, the command, and what became of it. Each lives in the image store's
// containers/ID directory, beside the bundle's upper and work dirs (so the
// store's gc keeps its image), with container.json recording it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "engine/run_flags.hpp"
#include "image/store.hpp"

namespace husk::engine {

// Where the runtime keeps the state of the engine's running containers
// (husk-runtime's --root for them): apart from husk-runtime's own /run/husk.
inline constexpr std::string_view kDefaultRunRoot = "/run/husk-engine";

// A network of the engine's the container is on (docker's
// NetworkSettings.Networks): the first from --network, more from further
// --network flags and `network connect`; eth0, eth1, ... in this order.
struct NetworkAttachment {
  std::string name;                  // as it was named when joined
  std::string id;                    // the network's id: a network made again under the name is another
  std::vector<std::string> aliases;  // --network-alias, connect --alias: names it answers to
  std::string ip;                    // --ip: the address asked for ("": the next free one)
  std::string mac;                   // --mac-address ("": docker's for the address)

  bool operator==(const NetworkAttachment&) const = default;
};

struct ContainerRecord {
  std::string id;     // 64 hex digits, as docker's
  std::string name;   // unique in the store
  std::string image;  // as the user named it
  std::string image_id;
  std::vector<std::string> command;
  std::string created;             // RFC 3339
  std::string status = "created";  // created, running, exited; dead: its creation was interrupted
  int exit_code = 0;
  std::string error;  // why it could not start (docker's State.Error), when it could not
  bool oom_killed = false;  // the OOM killer killed in it during its last run (docker's State.OOMKilled)
  std::string started;
  std::string finished;
  bool auto_remove = false;  // --rm
  int restart_count = 0;      // restarts by its policy (engine/restart.hpp)
  bool manually_stopped = false;  // stop or kill by the user: its policy restarts it no more
  int64_t restart_delay_ms = 0;   // the last wait before a policy restart (its back-off)
  RunFlags flags;  // what it was made with: start/restart make it again, inspect shows them
  // --cpus set its CPU quota (docker's NanoCpus), not --cpu-period/--cpu-quota:
  // config.json has the quota either way, inspect and update tell them apart.
  bool nano_cpus = false;
  // docker's Config.ExposedPorts ("80/tcp"): the image's, --expose's, -p's;
  // what -P publishes.
  std::vector<std::string> exposed_ports;
  std::vector<NetworkAttachment> networks;
  // docker's Config.Healthcheck: the image's HEALTHCHECK with the --health-*
  // flags over it, merged when it was made (engine/health.hpp).
  std::optional<image::HealthConfig> healthcheck;
};

class ContainerStore {
 public:
  explicit ContainerStore(const image::Store& images) : images_(images) {}

  std::string dir(const std::string& id) const { return images_.root() + "/containers/" + id; }
  std::string bundle_dir(const std::string& id) const { return dir(id) + "/oci-bundle"; }

  // A fresh id and, unless NAME is given, a name from it; NAME must be free.
  // MAKE then creates the container's directory (the bundle does); the
  // record is written once it succeeds. All under the names lock, so two
  // `husk run --name x` at once cannot both get x.
  Result<ContainerRecord> create(ContainerRecord rec,
                                 const std::function<Result<void>(const ContainerRecord&)>& make);
  Result<void> save(const ContainerRecord& rec) const;
  Result<std::vector<ContainerRecord>> list() const;
  // By full name, full id, or a unique id prefix (as docker).
  Result<ContainerRecord> find(const std::string& name_or_id) const;
  // Gives the container NEW_NAME (free, valid), under the names lock.
  Result<void> rename(const std::string& name_or_id, const std::string& new_name) const;

  // Whoever runs a container (its monitor, or a foreground husk) holds its
  // recorder lock from before the record says "running" until the end is
  // recorded; the kernel drops it if that process dies. A second runner
  // gets EBUSY.
  Result<UniqueFd> hold_recorder(const std::string& id) const;
  // Until nobody records ID's run, for at most TIMEOUT_MS: true once nobody
  // does (the record then says how it ended, or that its recorder died).
  bool await_recorder(const std::string& id, int timeout_ms) const;

 private:
  const image::Store& images_;
};

// docker's rules for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
Result<void> validate_name(const std::string& name);
std::string new_container_id();

}  // namespace husk::engine
