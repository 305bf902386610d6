// Attaching to a container: the client side of the monitor's attach socket
// (containers/ID/attach.sock, SOCK_SEQPACKET). Each message is one packet,
// its first byte its kind. `husk run -it`, `husk attach` and `start -a` of a
// container with a terminal are such clients: our terminal in raw mode, its
// size copied, our input relayed until the detach keys or the container's end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "engine/engine.hpp"

namespace husk::engine {


// docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-x,y": comma-separated keys,
// each one character or ctrl-<a-z @ [ \ ] ^ _>. Empty: the default.
Result<std::string> parse_detach_keys(std::string_view spec);

// Finds the detach keys in what is typed, holding back a partial match
// until it is known not to be one.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  // What to pass on from DATA; DETACHED when the keys were typed (what came
  // after them is dropped).
  std::string feed(std::string_view data, bool& detached);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

struct AttachOptions {
  bool tty = false;           // the container has a terminal
  bool attach_stdin = false;  // relay our stdin
  bool stdin_once = false;    // our stdin's end closes the container's (run -i)
  std::string detach_keys;    // parsed (parse_detach_keys)
  bool show_stdout = true;    // its output on ours (docker's -a: only the streams named)
  bool show_stderr = true;
  // Without a terminal: the signals husk gets go here (to the container).
  std::function<void(int)> forward_signal;
};

// Connects to the monitor of the container in CONTAINER_DIR and says hello.
Result<UniqueFd> connect_attach(const std::string& container_dir, const AttachOptions& o);

struct AttachEnd {
  bool detached = false;
  int exit_code = 0;  // when it exited
};
// Relays until the container exits (its code) or the detach keys are typed.
Result<AttachEnd> attach_session(int sock, const AttachOptions& o);
// The exit code of an attach session that ended: the one the monitor sent,
// 0 when detached, or, when the monitor closed without one, the code
// recorded for container ID.
Result<int> attach_result(const Engine& eng, const std::string& id, Result<AttachEnd> end);


// `husk attach`: to the running container NAME_OR_ID (its stdin too when
// STDIN and it was made with -i); its exit code, or 0 when we detach.
Result<int> attach_to(const Engine& eng, const std::string& name_or_id, bool stdin_, const std::string& detach_keys);

}  // namespace husk::engine
