// docker's events without a daemon: what happens to containers, images,
// networks and volumes is appended, one JSON object a line, to a log in the
// store (ROOT/events.log) by whichever husk process did it, and `husk
// events` reads it, filters it and follows it.
//
// Appending is one write(2) with O_APPEND of a line well under a page, so
// concurrent writers never interleave. The log is kept small: past
// kEventLogMax bytes the writer that notices renames it to events.log.1
// (the one before that goes), and readers read events.log.1, then
// events.log. Recording is best effort, as docker's is: an event that
// cannot be written never fails what it reports.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace husk::engine {

inline constexpr int64_t kEventLogMax = 1 << 20;

struct Event {
  std::string type;    // container, image, network, volume
  std::string action;  // create, start, die, destroy, pull, tag, ...
  std::string id;      // Actor.ID: the container's or network's id, the image's reference
  std::map<std::string, std::string> attributes;  // sorted, as docker prints them
  int64_t time_nano = 0;                          // since the epoch
};

// docker's JSON for an event ({{json .}}): Type, Action, Actor{ID,
// Attributes}, scope, time, timeNano, and for containers the older status,
// id and from.
nlohmann::ordered_json event_json(const Event& e);
std::optional<Event> event_from_json(std::string_view line);
// docker's default line: "TIME TYPE ACTION ID (k=v, k=v)".
std::string event_line(const Event& e);

// --filter KEY=VALUE: container, event, image, label, network, type,
// volume. Values of one key are alternatives; different keys all hold.
class EventFilter {
 public:
  static Result<EventFilter> parse(const std::vector<std::string>& specs);
  bool matches(const Event& e) const;

 private:
  std::map<std::string, std::vector<std::string>> by_key_;
};

class EventLog {
 public:
  explicit EventLog(const std::string& store_root);

  // Appends E (its time now when unset); never fails.
  void record(Event e) const noexcept;
  // The events from SINCE (inclusive) to UNTIL (inclusive), in order.
  std::vector<Event> read(int64_t since_nano, std::optional<int64_t> until_nano) const;
  // SINK gets the events from SINCE_NANO (without it: those written after
  // the call), then each one as it is written, until UNTIL_NANO passes
  // (never, without one) or SINK returns false.
  Result<void> follow(std::optional<int64_t> since_nano, std::optional<int64_t> until_nano,
                      const std::function<bool(const Event&)>& sink) const;

  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

// A container's event with docker's attributes: its image, its name, its
// labels, and EXTRA (exitCode for die, signal for kill, ...).
Event container_event(std::string_view action, const std::string& id, const std::string& image,
                      const std::string& name, const std::vector<std::string>& labels,
                      std::map<std::string, std::string> extra = {});

// An image's event: Actor.ID is ID (a reference, or the image's id), its
// one attribute the NAME (docker's: pull and load name the reference,
// tag the new name, untag, delete and import the id).
Event image_event(std::string_view action, const std::string& id, const std::string& name);

}  // namespace husk::engine
