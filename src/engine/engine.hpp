// The engine's containers from creation to removal: what `husk create`,
// `start`, `run`, `stop`, `kill`, `wait`, `restart` and `rm` do, over the
// image store (bundles on overlayfs) and the runtime library, in-process.
// No daemon: every husk process opens the same store; the runtime's state
// (under the run root) says what runs, the container's record what was asked
// and how it ended.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "engine/containers.hpp"
#include "engine/events.hpp"
#include "engine/image_choice.hpp"
#include "engine/networks.hpp"
#include "engine/run_flags.hpp"
#include "image/store.hpp"
#include "runtime/context.hpp"

namespace husk::engine {

// What a container is now: the record's word, checked against the runtime.
enum class LiveStatus { created, running, paused, exited, lost };
std::string_view to_string(LiveStatus s);

// Whether a container made with F lets its init be reached before its
// execve, while it still runs husk's binary (the runtime's rule: no pid
// namespace of its own, or CAP_SYS_PTRACE without a user namespace). Then
// husk must first re-execute itself from a protected view of its binary
// (CVE-2019-5736), before it makes anything: the re-exec starts over.
bool needs_protected_binary(const RunFlags& f);
Result<void> protect_binary_for(const RunFlags& f);

// The streams a foreground run shows (docker's -a; none named: all).
struct AttachStreams {
  bool stdin_ = true, stdout_ = true, stderr_ = true;
};
// -a's values (STDIN, stdout...): docker's error for any other.
Result<AttachStreams> parse_attach_streams(const std::vector<std::string>& names);

// A removed container's files: out of containers/ already (the container
// is gone for everyone: its name free, ps without it), not yet deleted,
// since its upper dir may be large and whoever removed it may have someone
// waiting first (a foreground --rm run's exit code). Emptied by empty() or
// at the latest when destroyed, under the store's shared content lock (gc,
// which clears tmp/, waits for it).
class Trash {
 public:
  Trash() = default;
  Trash(image::Store store, std::string path) : store_(std::move(store)), path_(std::move(path)) {}
  Trash(Trash&& o) noexcept : store_(std::move(o.store_)), path_(std::exchange(o.path_, {})) {}
  Trash& operator=(Trash&& o) noexcept {
    if (this != &o) {
      empty();
      store_ = std::move(o.store_);
      path_ = std::exchange(o.path_, {});
    }
    return *this;
  }
  ~Trash() { empty(); }
  void empty();

 private:
  std::optional<image::Store> store_;
  std::string path_;
};

class Engine {
 public:
  // CONFIG: the config file (networks' defaults: engine/networks.hpp).
  static Result<Engine> open(const std::string& root, const std::string& run_root, ImageFetcher fetch = {},
                             std::string config = std::string(kDefaultConfigFile));

  const image::Store& images() const { return store_; }
  ContainerStore containers() const { return ContainerStore(store_); }
  const std::string& run_root() const { return run_root_; }
  NetworkStore networks() const { return NetworkStore(store_.root(), run_root_, config_); }
  EventLog events() const { return EventLog(store_.root()); }
  // docker's event ACTION about REC (its image, name and labels, and EXTRA).
  void record_event(const ContainerRecord& rec, std::string_view action,
                    std::map<std::string, std::string> extra = {}) const;
  runtime::Context runtime_context() const;

  // The image (as --pull and --platform say: image_choice.hpp), a
  // record and a bundle with its config.json made from the image and FLAGS.
  // Status "created": nothing runs yet. On failure nothing is left.
  // WARNINGS gets what the user is to be told (docker's "WARNING: " lines),
  // on failure too.
  Result<ContainerRecord> create(const RunFlags& flags, std::vector<std::string>& warnings) const;

  // Runs a created (or exited) container with its output on ours, records
  // how it ended and, with --rm, removes it. The exit code as
  // docker's: the process's, 128+N for signal N, 126/127 when the command
  // could not start.
  // It runs under a monitor with us attached to it (our stdin too when
  // ATTACH_STDIN): its output is logged and its end recorded even if we
  // die, and the detach keys leave it running.
  // STREAMS: docker's -a (see attach_streams); SIG_PROXY: --sig-proxy.
  Result<int> run_attached(ContainerRecord rec, bool attach_stdin = false, const AttachStreams& streams = {},
                           bool sig_proxy = true) const;
  // Starts it under a monitor (see launcher.hpp: a process that outlives this
  // one and keeps its output in the container's log); returns once it runs
  // (or ran and ended). An error when it could not start, whose kind gives
  // docker's code (exit_code_for: 125/126/127).
  Result<void> start_detached(const ContainerRecord& rec) const;

  // The record's side of a run, for whoever runs it (us, or its monitor):
  // the root mounted again and the record "running"; then its end recorded
  // (with --rm: the container removed, its files left in the trash
  // returned, for the caller to empty once it has told whoever waits).
  Result<ContainerRecord> begin_run(ContainerRecord rec) const;
  Result<Trash> end_run(const ContainerRecord& rec, int code, const std::string& error,
                        bool oom_killed = false) const;

  LiveStatus live_status(const ContainerRecord& rec) const;
  // The running init's pid (for exec, namespace sharing, inspect).
  Result<pid_t> init_pid(const std::string& name_or_id) const;
  // Until it has exited; its exit code. TIMEOUT_MS < 0: no limit.
  Result<int> wait(const std::string& name_or_id, int timeout_ms = -1) const;
  // The stop signal (the container's, else SIGTERM), then SIGKILL after
  // TIMEOUT seconds (default: --stop-timeout, else 10).
  Result<void> stop(const std::string& name_or_id, std::optional<int> timeout = {}) const;
  Result<void> kill(const std::string& name_or_id, int signal) const;
  // Freezes a running container's processes; thaws a paused one's.
  Result<void> pause(const std::string& name_or_id) const;
  Result<void> unpause(const std::string& name_or_id) const;
  // A running (or paused) container's processes, as host pids (top).
  Result<std::vector<int>> pids(const std::string& name_or_id) const;
  // rm: refuses a running container unless FORCE (which kills it); with
  // VOLUMES (-v), its anonymous volumes go too.
  Result<void> remove(const std::string& name_or_id, bool force, bool volumes = false) const;

  // The container's stop signal as a number (from --stop-signal or the image).
  int stop_signal(const ContainerRecord& rec) const;

  // Networks (engine_networks.cpp). `network connect`: the container is on
  // NETWORK from now on (at once when it runs) with ALIASES and IP.
  Result<void> connect(const std::string& container, const std::string& network,
                       const std::vector<std::string>& aliases, const std::string& ip) const;
  // `network disconnect`; FORCE: no error when it is not on it.
  Result<void> disconnect(const std::string& container, const std::string& network, bool force) const;
  // What a boot brings back (husk start --restart-policies, as dockerd's
  // start does): the containers not running whose policy is always, or
  // unless-stopped when the user had not stopped them.
  Result<std::vector<ContainerRecord>> restartable_at_boot() const;
  // The container called NEW_NAME (running: on its networks' name servers too).
  Result<void> rename(const std::string& container, const std::string& new_name) const;
  // `network rm`: refused (EBUSY) while a running container is on it.
  Result<void> remove_network(const std::string& name_or_id) const;
  // `network prune`: the user-defined networks no running container is on
  // (and that TAKE takes, none: every one); their names.
  Result<std::vector<std::string>> prune_networks(const std::function<bool(const Network&)>& take = {}) const;

 private:
  Engine(image::Store store, std::string run_root, ImageFetcher fetch, std::string config)
      : store_(std::move(store)),
        run_root_(std::move(run_root)),
        fetch_(std::move(fetch)),
        config_(std::move(config)) {}
  // The networks F asks for, checked (docker's rules for --ip, --mac-address,
  // --network-alias); NAMESERVER: the one its resolv.conf names (resolver_for).
  Result<std::vector<NetworkAttachment>> plan_networks(const RunFlags& f,
                                                       std::optional<net::Ipv4>* nameserver) const;
  // container:NAME namespaces as they are at this start.
  Result<void> rejoin(const ContainerRecord& rec) const;
  // The overlay root back on an exited container's bundle (start/restart).
  Result<void> remount(const ContainerRecord& rec) const;
  // REC stopped or killed by the user: its restart policy leaves it stopped.
  Result<void> mark_stopped_by_user(ContainerRecord& rec) const;
  // Removes the container (and with VOLUMES its anonymous volumes): its
  // files deleted at once, or, into TRASH, only moved out of containers/.
  Result<void> remove_with_volumes(const std::string& id, bool volumes, Trash* trash = nullptr) const;

  image::Store store_;
  std::string run_root_;
  ImageFetcher fetch_;
  std::string config_;
};

// docker's exit codes for a container that could not start: 126 when its
// command cannot be invoked, 127 when it is not there, 125 for husk itself.
int exit_code_for(const Error& e);

}  // namespace husk::engine
