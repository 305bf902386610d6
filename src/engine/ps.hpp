// `husk ps` as docker's: which containers a listing shows (-a, -n, -l,
// --filter, with docker's rules) and each one's row, with docker's field
// names and texts ("Up 3 seconds", "Exited (0) 2 minutes ago").
//
// The steps: ps_entries reads what the rows and filters need of every
// container, select_containers keeps the ones asked for, add_sizes (-s)
// measures those, ps_row makes each one's row for engine/listing.hpp.
#pragma once

#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/containers.hpp"
#include "engine/engine.hpp"

namespace husk::engine {

// One container as ps sees it: its record, and what its row and the
// filters read beside it.
struct PsEntry {
  ContainerRecord rec;
  LiveStatus live = LiveStatus::created;
  std::map<std::string, std::string> labels;  // the image's under --label's
  struct Mount {
    std::string name;  // a volume's; "" for a bind
    std::string source, destination;
  };
  std::vector<Mount> mounts;
  struct Network {
    std::string name, id;
  };
  std::vector<Network> networks;
  std::string ports;  // "0.0.0.0:8080->80/tcp, ..." while it runs
  std::string health;       // its healthcheck's status (starting, healthy, unhealthy); "": none
  bool restarting = false;  // exited, its monitor waiting to start it again (engine/restart.hpp)
  // -s: the bytes of its upper dir, and those plus its image's.
  std::optional<uint64_t> size_rw, size_root_fs;
};

// docker's State: created, running, paused, restarting, exited, dead.
std::string ps_state(const ContainerRecord& rec, LiveStatus live, bool restarting = false);
// docker's Status at NOW: "Created", "Up 3 seconds", "Up 2 minutes
// (Paused)", "Up 1 second (healthy)", "Exited (0) 2 minutes ago",
// "Restarting (1) 3 seconds ago", "Dead". HEALTH: its healthcheck's status
// ("": none); RESTARTING: its monitor waits to start it again.
std::string ps_status(const ContainerRecord& rec, LiveStatus live, time_t now, const std::string& health = "",
                      bool restarting = false);
// docker's COMMAND: quoted, and unless FULL cut to 20 characters with "…".
std::string ps_command(const std::vector<std::string>& command, bool full);

// docker's `ps --filter KEY=VALUE`s: values of one key OR, keys AND (label
// values AND, as docker's). Checked before anything is listed.
class PsFilter {
 public:
  // EINVAL "invalid filter 'KEY'" for a key docker's ps does not take, or
  // a value it cannot be (status=, exited=).
  static Result<PsFilter> parse(const std::vector<std::string>& args);
  bool has(const std::string& key) const { return terms_.contains(key); }
  const std::vector<std::string>& values(const std::string& key) const;

 private:
  std::map<std::string, std::vector<std::string>> terms_;
};

struct PsOptions {
  bool all = false;  // -a: not only the running ones
  int last = -1;     // -n N (-l: 1): the N last created, whatever their state
  PsFilter filter;
};

// The id of the image NAME names (ancestor=), if one does.
using ImageIdOf = std::function<std::optional<std::string>(const std::string& name)>;

// Which of ENTRIES (newest first, as ps_entries gives them) the listing
// shows, newest first: ENOENT when before= or since= names no container.
Result<std::vector<PsEntry>> select_containers(std::vector<PsEntry> entries, const PsOptions& opts,
                                               const ImageIdOf& image_id_of);

// Every container of ENG, newest first, without sizes.
Result<std::vector<PsEntry>> ps_entries(const Engine& eng);
// -s: each entry's sizes.
void add_sizes(const Engine& eng, std::vector<PsEntry>& entries);

// E's row, docker's fields (ID, Image, Command, CreatedAt, RunningFor,
// Ports, State, Status, Size, Names, Labels, Mounts, Networks,
// LocalVolumes) in docker's JSON order; TRUNC as without --no-trunc.
nlohmann::ordered_json ps_row(const PsEntry& e, bool trunc, time_t now);

// docker's `{{.Label "KEY"}}` title: the key's last dotted part, "-" and
// "_" as spaces, upper case ("com.example.build-id": "BUILD ID").
std::string label_header(const std::string& key);

}  // namespace husk::engine
