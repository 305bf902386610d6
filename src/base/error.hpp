// Errors as values: an errno (0 when none applies) and a chain of context,
// outermost first: "create c1: mount proc on /proc: Operation not permitted".
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace husk {

// What a failure means to whoever decides an exit code, set where the error
// is made (never guessed from its text). Most errors are just `failed`.
enum class ErrorKind : unsigned char {
  failed,                  // the program's own failure
  invalid_argument,        // a value the user gave does not parse
  command_not_found,       // the command to run is not there
  command_not_executable,  // the command to run is there but cannot be run
};

// The exit code of a command that failed with KIND: 127 when the command to
// run is not there, 126 when it cannot be run, OWN_FAILURE (docker's 125,
// runc's 1) for anything else.
int exit_code_for(ErrorKind kind, int own_failure);

class Error {
 public:
  Error() = default;
  Error(int err, std::string message, bool show_errno = true, ErrorKind kind = ErrorKind::failed)
      : errno_(err), message_(std::move(message)), show_errno_(show_errno), kind_(kind) {}

  // An error from a failed system call: captures the current errno.
  static Error from_errno(std::string what) { return Error(errno, std::move(what)); }
  static Error msg(std::string what) { return Error(0, std::move(what)); }

  int err() const { return errno_; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // The whole chain plus the errno text, as the user sees it.
  std::string what() const;

  // Prefix another layer of context: "layer: inner".
  Error context(const std::string& layer) const& {
    return Error(errno_, layer + ": " + message_, show_errno_, kind_);
  }
  Error context(const std::string& layer) && {
    message_ = layer + ": " + message_;
    return std::move(*this);
  }

 private:
  int errno_ = 0;
  std::string message_;
  bool show_errno_ = true;  // false: errno classifies, the message says it all
  ErrorKind kind_ = ErrorKind::failed;
};

template <typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected(std::move(e)); }
inline std::unexpected<Error> fail_errno(std::string what) {
  return std::unexpected(Error::from_errno(std::move(what)));
}
inline std::unexpected<Error> fail_msg(std::string what) {
  return std::unexpected(Error::msg(std::move(what)));
}
// An error whose message already says everything; ERR only classifies it
// (exit codes, ENOENT checks) and is not appended to the text.
inline std::unexpected<Error> fail_code(int err, std::string what, ErrorKind kind = ErrorKind::failed) {
  return std::unexpected(Error(err, std::move(what), false, kind));
}

// Adds a layer of context to a failed result; a success passes through.
// (g++ 12's std::expected has no transform_error yet.)
template <typename T>
Result<T> with_context(Result<T>&& r, const std::string& layer) {
  if (!r) return std::unexpected(std::move(r).error().context(layer));
  return std::move(r);
}

}  // namespace husk

// Propagate an error, prefixing context. Evaluates to the value on success.
#define HUSK_TRY(expr)                                                        \
  ({                                                                          \
    auto husk_try_r_ = (expr);                                                \
    if (!husk_try_r_) return std::unexpected(std::move(husk_try_r_).error()); \
    std::move(husk_try_r_).value();                                           \
  })

#define HUSK_TRY_CTX(expr, ctx)                                                            \
  ({                                                                                       \
    auto husk_try_r_ = (expr);                                                             \
    if (!husk_try_r_) return std::unexpected(std::move(husk_try_r_).error().context(ctx)); \
    std::move(husk_try_r_).value();                                                        \
  })
