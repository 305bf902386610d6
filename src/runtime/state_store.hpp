// Where containers live between commands: ROOT/ID/{state.json,config.json},
// one directory per container, guarded by flock on that directory.
#pragma once

#include <string>
#include <vector>

#include "base/fd.hpp"
#include "spec/state.hpp"

namespace husk::runtime {

class ContainerDir {
 public:
  ContainerDir() = default;
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

  Result<spec::State> load_state() const;
  Result<void> save_state(const spec::State& s) const;
  Result<std::string> load_config_text() const;
  Result<void> save_config_text(const std::string& text) const;
  // Removes the directory and everything in it.
  Result<void> remove() const;
  // Lets other commands at the container (a foreground `run` while its
  // process runs: `kill` and `delete` from elsewhere must not wait for it).
  void unlock() const;
  // Takes the lock again; ENOENT when a `delete` removed the container meanwhile.
  Result<void> relock() const;

 private:
  friend class StateStore;
  std::string path_;
  UniqueFd fd_;  // holds the lock
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  // Creates ROOT/ID exclusively and locks it: "container with id exists" otherwise.
  Result<ContainerDir> create(const std::string& id) const;
  // Opens and locks an existing container: "container ID does not exist" otherwise.
  Result<ContainerDir> open(const std::string& id) const;
  std::vector<std::string> list_ids() const;
  // Whether ID has a recorded state now (no lock taken: a hint for watchers).
  bool has_state(const std::string& id) const;
  // A directory without state.json whose lock we can take was left by a
  // runtime that died inside `create`: nothing else refers to it. Only an
  // empty one or one the runtime marked as its own is removed (the engine
  // keeps its networks' state beside its containers').
  Result<void> remove_stale(const std::string& id) const;

 private:
  std::string root_;
};

}  // namespace husk::runtime
