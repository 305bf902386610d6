// What `husk run` / `husk create` were asked for: docker's flags, named and
// meaning as docker's, as the command line gave them. Values with units
// ("100m", "0.5", "1024:2048") stay text here; the modules that turn them
// into the container's config.json (resources, security, mounts,
// namespaces) parse and validate them, so one bad value is one clear error
// before anything is made. Kept in the container's record, so `inspect`
// shows them and `start`/`restart` make the same container again; all but
// the resource flags, whose limits config.json alone keeps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"

namespace husk::engine {

// -m, --cpus, --pids-limit, ...: what `run`/`create`/`update` are asked for,
// with docker's units. Not kept: the limits they make are config.json's
// linux.resources (engine/resources.cpp), the one place inspect reads them.
struct ResourceFlags {
  std::string cpus, cpu_period, cpu_quota, cpu_shares, cpuset_cpus, cpuset_mems;
  std::string memory, memory_swap, memory_reservation;  // -m 100m
  std::string pids_limit, blkio_weight;
  std::vector<std::string> device_read_bps, device_write_bps;    // /dev/sda:1mb
  std::vector<std::string> device_read_iops, device_write_iops;  // /dev/sda:100
  bool oom_kill_disable = false;
};

struct RunFlags {
  // The container and its process.
  std::string image;
  std::vector<std::string> command;       // after IMAGE
  std::optional<std::string> entrypoint;  // --entrypoint ("" clears the image's)
  std::string name;
  std::vector<std::string> env;        // -e K=V, or -e K (taken from husk's environment)
  std::vector<std::string> env_files;  // --env-file
  std::string user;                    // -u user[:group]
  std::string workdir;                 // -w
  std::string hostname;                // -h
  std::string domainname;
  bool tty = false;          // -t
  bool interactive = false;  // -i
  bool rm = false;
  bool detach = false;                   // -d
  std::string detach_keys;               // --detach-keys (default ctrl-p,ctrl-q)
  std::vector<std::string> attach;       // -a stdin|stdout|stderr: the streams a foreground run shows (none: all)
  bool sig_proxy = true;                 // --sig-proxy: a foreground run's signals go to the container
  bool init = false;                     // --init
  std::vector<std::string> labels;       // --label K=V
  std::vector<std::string> annotations;  // --annotation K=V
  std::string stop_signal;               // --stop-signal (default: the image's, else SIGTERM)
  std::optional<int> stop_timeout;       // --stop-timeout
  std::string log_driver;                // --log-driver (empty: json-file)
  std::vector<std::string> log_opts;     // --log-opt KEY=VALUE
  std::string restart;                   // --restart (engine/restart.hpp; "": no)
  std::vector<std::string> group_add;    // --group-add GROUP: a name in the image's /etc/group, or a gid
  std::string cidfile;                   // --cidfile FILE: the new container's id is written there

  // Its healthcheck (engine/health.hpp), over the image's HEALTHCHECK.
  std::optional<std::string> health_cmd;                             // --health-cmd: a shell command
  std::string health_interval, health_timeout, health_start_period;  // Go durations ("30s")
  std::optional<int> health_retries;
  bool no_healthcheck = false;

  // The image (engine/image_choice.hpp).
  std::string pull;      // --pull always|missing|never ("": missing)
  std::string platform;  // --platform os/arch[/variant] ("": any the store has, else this machine's)

  // Security.
  std::vector<std::string> cap_add, cap_drop;  // CAP_X, X, or ALL
  bool privileged = false;
  std::vector<std::string> security_opt;  // no-new-privileges[:true|false], seccomp=FILE|unconfined
  std::vector<std::string> ulimits;       // nofile=1024[:2048]
  std::vector<std::string> sysctls;       // net.ipv4.ip_forward=1
  std::vector<std::string> devices;       // /dev/host[:/dev/ctr[:rwm]]
  std::optional<int> oom_score_adj;

  // Storage.
  std::vector<std::string> volumes;  // -v host:ctr[:ro|rw], -v NAME:ctr, -v ctr
  std::vector<std::string> tmpfs;    // --tmpfs /dir[:opts]
  std::vector<std::string> mounts;   // --mount type=bind|volume|tmpfs,src=,dst=,...
  std::vector<std::string> volumes_from;  // --volumes-from CONTAINER[:ro|:rw]: its volumes and binds
  bool read_only = false;

  ResourceFlags resources;  // not in the record (to_json): config.json has the limits

  // Namespaces: "" is the default (a private one; network: the default bridge).
  std::string ipc;       // private|shareable|host|container:NAME
  std::string shm_size;  // --shm-size 64m: its /dev/shm ("": docker's 64m)
  std::string pid;      // host|container:NAME
  std::string uts;      // host
  std::string network;  // none|host|container:NAME|bridge|NAME
  // More networks (a second --network ...), an address, a MAC and aliases on
  // the first: the record keeps them as its networks (not here).
  std::vector<std::string> more_networks;
  std::string ip;                            // --ip
  std::string mac_address;                   // --mac-address
  std::vector<std::string> network_aliases;  // --network-alias
  std::string userns;                        // host|remap|auto
  std::string cgroupns;                      // private|host
  std::string time_offset;                   // boottime=SECONDS,monotonic=SECONDS

  // /etc/hosts and /etc/resolv.conf (engine/etc_files.hpp).
  std::vector<std::string> add_hosts;    // --add-host NAME:IP
  std::vector<std::string> dns;          // --dns SERVER
  std::vector<std::string> dns_search;   // --dns-search DOMAIN
  std::vector<std::string> dns_options;  // --dns-option OPTION

  // Published ports (engine/ports.hpp): a network of the engine's only.
  std::vector<std::string> publish;  // -p [[IP:][HOSTPORT]:]PORT[/PROTO]
  bool publish_all = false;          // -P: every exposed port, to a free host port
  std::vector<std::string> expose;   // --expose PORT[/PROTO], or a range
};

nlohmann::ordered_json to_json(const RunFlags& f);
Result<RunFlags> run_flags_from_json(const nlohmann::ordered_json& j);

}  // namespace husk::engine
