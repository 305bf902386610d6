#include "engine/restart.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <string>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::engine {

namespace {
constexpr int64_t kFirstDelayMs = 100;
constexpr int64_t kMaxDelayMs = 60 * 1000;
constexpr int64_t kResetAfterMs = 10 * 1000;

Error invalid(std::string what) { return Error(EINVAL, std::move(what), false, ErrorKind::invalid_argument); }
}  // namespace

Result<RestartPolicy> parse_restart_policy(std::string_view text) {
  RestartPolicy p;
  std::string_view name = text.substr(0, text.find(':'));
  bool has_count = text.find(':') != std::string_view::npos;
  std::string_view count = has_count ? text.substr(text.find(':') + 1) : std::string_view{};
  if (name.empty() || name == "no") {
    if (has_count)
      return fail(
          invalid("invalid restart policy: maximum retry count cannot be used with restart policy 'no'"));
    return p;
  }
  if (name == "always" || name == "unless-stopped") {
    if (has_count)
      return fail(invalid("invalid restart policy: maximum retry count cannot be used with restart policy '" +
                          std::string(name) + "'"));
    p.kind = name == "always" ? RestartPolicy::Kind::always : RestartPolicy::Kind::unless_stopped;
    return p;
  }
  if (name == "on-failure") {
    p.kind = RestartPolicy::Kind::on_failure;
    if (has_count) {
      auto n = parse_i64(count);
      if (!n) return fail(invalid("invalid restart policy format: maximum retry count must be an integer"));
      if (*n < 0) return fail(invalid("invalid restart policy: maximum retry count cannot be negative"));
      p.max_retries = static_cast<int>(std::min<long long>(*n, 1 << 30));
    }
    return p;
  }
  return fail(invalid("invalid restart policy '" + std::string(name) + "'"));
}

bool should_restart(const RestartPolicy& p, int code, int restarts, bool stopped_by_user) {
  if (stopped_by_user) return false;
  switch (p.kind) {
    case RestartPolicy::Kind::no:
      return false;
    case RestartPolicy::Kind::always:
    case RestartPolicy::Kind::unless_stopped:
      return true;
    case RestartPolicy::Kind::on_failure:
      return code != 0 && (p.max_retries == 0 || restarts < p.max_retries);
  }
  return false;
}

int64_t restart_delay_ms(int64_t previous_ms, int64_t ran_ms) {
  if (previous_ms <= 0 || ran_ms >= kResetAfterMs) return kFirstDelayMs;
  return std::min(previous_ms * 2, kMaxDelayMs);
}

Result<UniqueFd> hold_restart_wait(const std::string& container_dir) {
  auto fd = HUSK_TRY(open_fd(container_dir + "/restart.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(fd.get(), LOCK_EX, "lock " + container_dir + "/restart.lock"));
  return fd;
}

bool waiting_to_restart(const std::string& container_dir) {
  UniqueFd fd(::open((container_dir + "/restart.lock").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;  // never restarted by its policy
  return !flock_fd(fd.get(), LOCK_SH | LOCK_NB, "");
}

}  // namespace husk::engine
