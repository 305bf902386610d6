#include "base/error.hpp"

#include <cstring>

namespace husk {

std::string Error::what() const {
  if (errno_ == 0 || !show_errno_) return message_;
  return message_ + ": " + std::strerror(errno_);
}

int exit_code_for(ErrorKind kind, int own_failure) {
  switch (kind) {
    case ErrorKind::command_not_found: return 127;
    case ErrorKind::command_not_executable: return 126;
    case ErrorKind::failed:
    case ErrorKind::invalid_argument: break;
  }
  return own_failure;
}

}  // namespace husk
