#include "base/error.hpp"

#include <cstring>

namespace husk {

std::string Error::what() const {
  if (errno_ == 0 || !show_errno_) return message_;
  return message_ + ": " + std::strerror(errno_);
}

}  // namespace husk
