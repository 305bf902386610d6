// --cidfile FILE: the new container's id, written to FILE once it is made,
// as docker's CLI does it. FILE is claimed before anything is made, so a
// second `run --cidfile FILE` fails at once (the file says which container
// holds it); when the create fails the claimed file is removed again, and
// nothing is left behind.
#pragma once

#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace husk::engine {

class ContainerIdFile {
 public:
  // No --cidfile: writes nothing.
  ContainerIdFile() = default;
  // Creates PATH, which must not exist (docker's "Container ID file found").
  static Result<ContainerIdFile> claim(const std::string& path);
  ContainerIdFile(ContainerIdFile&& o) noexcept;
  ContainerIdFile& operator=(ContainerIdFile&&) = delete;
  ContainerIdFile(const ContainerIdFile&) = delete;
  ContainerIdFile& operator=(const ContainerIdFile&) = delete;
  // Removes the file unless the id was written to it.
  ~ContainerIdFile();

  // The id, without a newline (docker's content).
  Result<void> write(const std::string& id);

 private:
  ContainerIdFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
  bool written_ = false;
};

}  // namespace husk::engine
