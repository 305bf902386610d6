#include "engine/health.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "engine/exec.hpp"
#include "linux/self_exe.hpp"
#include "linux/signals.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// The shortest interval, timeout and start period docker takes.
constexpr int64_t kMinimumDuration = 1000 * 1000;  // 1ms

Error invalid(std::string what) { return Error(EINVAL, std::move(what), false, ErrorKind::invalid_argument); }

// A --health-* duration: 0 when not given.
Result<int64_t> flag_duration(const std::string& text, const char* flag) {
  if (text.empty()) return 0;
  auto d = parse_go_duration(text);
  if (!d)
    return fail(invalid("invalid argument \"" + text + "\" for \"" + flag +
                        "\" flag: time: invalid duration \"" + text + "\""));
  if (*d < 0) return fail(invalid(std::string(flag) + " cannot be negative"));
  return *d;
}

std::string health_path(const std::string& dir) { return dir + "/health.json"; }

// The health file's lock: its readers and writers take turns.
Result<UniqueFd> lock_health(const std::string& dir) {
  auto fd = HUSK_TRY(open_fd(dir + "/health.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(fd.get(), LOCK_EX, "lock " + dir + "/health.lock"));
  return fd;
}

Result<void> write_health(const std::string& dir, const HealthState& s) {
  return write_file_atomic(health_path(dir), to_json(s).dump() + "\n", 0644);
}

// One run of COMMAND in the container, as exec runs it, with its stdout
// and stderr caught (the first kHealthOutputMax bytes kept) and killed
// after TIMEOUT_NS: docker's probe.
HealthResult probe(const Engine& eng, const ContainerRecord& rec, const std::vector<std::string>& command,
                   int64_t timeout_ns) {
  HealthResult r;
  r.start = now_rfc3339();
  auto done = [&](int code, std::string output) {
    r.end = now_rfc3339();
    r.exit_code = code;
    r.output = std::move(output);
    if (r.output.size() > kHealthOutputMax) r.output.resize(kHealthOutputMax);
    return r;
  };
  // The exec re-executes husk from a protected copy when it must: here,
  // before the fork, not in the child.
  if (auto p = linux::ensure_protected_self_exe(); !p) return done(-1, p.error().what());
  auto out = make_pipe("pipe for the healthcheck's output");
  if (!out) return done(-1, out.error().what());
  char pid_template[] = "/tmp/husk-health-XXXXXX";
  UniqueFd pid_fd(::mkostemp(pid_template, O_CLOEXEC));
  std::string pid_file = pid_fd ? pid_template : "";
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) return done(-1, Error::from_errno("fork for the healthcheck").what());
  if (child == 0) {
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(out->write.get(), 1);
    ::dup2(out->write.get(), 2);
    ExecRequest req{.container = rec.id, .command = command, .pid_file = pid_file};
    auto code = exec_in(eng, req);
    if (!code) {
      std::string msg = code.error().what() + std::string("\n");
      (void)write_all(2, msg);
      ::_exit(exit_code_for(code.error()));
    }
    ::_exit(*code);
  }
  out->write.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  std::string output;
  int64_t deadline = monotonic_ms() + timeout_ns / 1000000;
  bool timed_out = false, open = true;
  while (open || pidfd) {
    int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd fds[2] = {{open ? out->read.get() : -1, POLLIN, 0}, {pidfd ? pidfd.get() : -1, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1 << 30))) < 0 && errno != EINTR) break;
    if (fds[0].revents) {
      char buf[4096];
      ssize_t n = ::read(out->read.get(), buf, sizeof buf);
      if (n > 0 && output.size() < kHealthOutputMax) output.append(buf, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) open = false;
    }
    // The exec's end; what it left in the pipe is read before the pipe's
    // EOF (a process it started in the background may hold the pipe on).
    if (fds[1].revents) {
      pidfd.reset();
      while (open) {
        struct pollfd p = {out->read.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        char buf[4096];
        ssize_t n = ::read(out->read.get(), buf, sizeof buf);
        if (n <= 0) break;
        if (output.size() < kHealthOutputMax) output.append(buf, static_cast<size_t>(n));
      }
      break;
    }
  }
  if (timed_out) {
    // The test's process in the container first, then the exec waiting for it.
    if (auto text = read_file(pid_file); text)
      if (auto pid = parse_i64(trim(*text)); pid && *pid > 0) ::kill(static_cast<pid_t>(*pid), SIGKILL);
    ::kill(child, SIGKILL);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!pid_file.empty()) ::unlink(pid_file.c_str());
  if (timed_out) return done(-1, "Health check exceeded timeout (" + format_go_duration(timeout_ns) + ")");
  return done(linux::exit_code_from_wait_status(status), std::move(output));
}

}  // namespace

Result<std::optional<image::HealthConfig>> container_healthcheck(
    const RunFlags& f, const std::optional<image::HealthConfig>& image) {
  int64_t interval = HUSK_TRY(flag_duration(f.health_interval, "--health-interval"));
  int64_t timeout = HUSK_TRY(flag_duration(f.health_timeout, "--health-timeout"));
  int64_t start_period = HUSK_TRY(flag_duration(f.health_start_period, "--health-start-period"));
  int retries = f.health_retries.value_or(0);
  bool settings = (f.health_cmd && !f.health_cmd->empty()) || interval || timeout || start_period || retries;
  std::optional<image::HealthConfig> user;
  if (f.no_healthcheck) {
    if (settings) return fail(invalid("--no-healthcheck conflicts with --health-* options"));
    user = image::HealthConfig{.test = {"NONE"}};
  } else if (settings) {
    if (retries < 0) return fail(invalid("--health-retries cannot be negative"));
    user = image::HealthConfig{
        .interval = interval, .timeout = timeout, .start_period = start_period, .retries = retries};
    if (f.health_cmd && !f.health_cmd->empty()) user->test = {"CMD-SHELL", *f.health_cmd};
  }
  // What the daemon checks of any healthcheck it is given.
  if (user) {
    auto too_short = [](int64_t d) { return d != 0 && d < kMinimumDuration; };
    if (too_short(user->interval)) return fail(invalid("Interval in Healthcheck cannot be less than 1ms"));
    if (too_short(user->timeout)) return fail(invalid("Timeout in Healthcheck cannot be less than 1ms"));
    if (too_short(user->start_period))
      return fail(invalid("StartPeriod in Healthcheck cannot be less than 1ms"));
  }
  if (!user) return image;
  if (image) {
    if (user->test.empty()) user->test = image->test;
    if (!user->interval) user->interval = image->interval;
    if (!user->timeout) user->timeout = image->timeout;
    if (!user->start_period) user->start_period = image->start_period;
    if (!user->retries) user->retries = image->retries;
  }
  return user;
}

bool health_active(const std::optional<image::HealthConfig>& h) {
  return h && !h->test.empty() && h->test[0] != "NONE";
}

int64_t health_interval_ms(const image::HealthConfig& h) {
  return (h.interval > 0 ? h.interval : kDefaultHealthInterval) / 1000000;
}

Result<std::vector<std::string>> health_command(const image::HealthConfig& h) {
  if (h.test.empty() || h.test[0] == "NONE") return fail_code(EINVAL, "the healthcheck has no test to run");
  if (h.test[0] == "CMD" && h.test.size() > 1)
    return std::vector<std::string>(h.test.begin() + 1, h.test.end());
  if (h.test[0] == "CMD-SHELL" && h.test.size() == 2)
    return std::vector<std::string>{"/bin/sh", "-c", h.test[1]};
  return fail_code(EINVAL, "unknown healthcheck type '" + h.test[0] + "' (want CMD or CMD-SHELL)");
}

json to_json(const HealthState& s) {
  json log = json::array();
  for (auto& r : s.log)
    log.push_back({{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
  return {{"Status", s.status}, {"FailingStreak", s.failing_streak}, {"Log", log}};
}

Result<HealthState> health_state_from_json(const json& j) {
  try {
    HealthState s;
    s.status = j.at("Status").get<std::string>();
    s.failing_streak = j.value("FailingStreak", 0);
    for (auto& r : j.value("Log", json::array()))
      s.log.push_back(
          {r.value("Start", ""), r.value("End", ""), r.value("ExitCode", 0), r.value("Output", "")});
    return s;
  } catch (const json::exception& e) {
    return fail_code(EINVAL, std::string("a container's health: ") + e.what());
  }
}

HealthState apply_health_result(HealthState s, HealthResult r, const image::HealthConfig& h,
                                int64_t started_ns, int64_t probe_start_ns) {
  bool passed = r.exit_code == 0;
  s.log.push_back(std::move(r));
  if (s.log.size() > kHealthLogMax) s.log.erase(s.log.begin(), s.log.end() - kHealthLogMax);
  if (passed) {
    s.failing_streak = 0;
    s.status = "healthy";
    return s;
  }
  // Never passed yet and still in its start period: this failure does not count.
  if (s.status == "starting" && probe_start_ns - started_ns < h.start_period) return s;
  ++s.failing_streak;
  if (s.failing_streak >= (h.retries > 0 ? h.retries : kDefaultHealthRetries)) s.status = "unhealthy";
  return s;
}

Result<std::optional<HealthState>> read_health(const std::string& dir) {
  auto text = read_file(health_path(dir));
  if (!text) {
    if (text.error().err() == ENOENT) return std::nullopt;
    return fail(std::move(text).error());
  }
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return fail_code(EINVAL, health_path(dir) + ": not JSON");
  return HUSK_TRY(health_state_from_json(j));
}

Result<void> health_started(const std::string& dir) {
  auto lock = HUSK_TRY(lock_health(dir));
  HealthState s = HUSK_TRY(read_health(dir)).value_or(HealthState{});
  s.status = "starting";
  s.failing_streak = 0;
  return write_health(dir, s);
}

Result<void> health_stopped(const std::string& dir) {
  auto lock = HUSK_TRY(lock_health(dir));
  auto s = HUSK_TRY(read_health(dir));
  if (!s) return {};
  s->status = "unhealthy";
  return write_health(dir, *s);
}

Result<HealthResult> run_healthcheck(const Engine& eng, const std::string& name_or_id) {
  auto rec = HUSK_TRY(eng.containers().find(name_or_id));
  if (!health_active(rec.healthcheck))
    return fail(invalid("container " + rec.name + " has no defined healthcheck"));
  if (eng.live_status(rec) != LiveStatus::running)
    return fail(invalid("container " + rec.name + " is not running"));
  auto command = HUSK_TRY(health_command(*rec.healthcheck));
  int64_t timeout = rec.healthcheck->timeout > 0 ? rec.healthcheck->timeout : kDefaultHealthTimeout;
  int64_t probe_start = now_nanos();
  HealthResult r = probe(eng, rec, command, timeout);
  std::string dir = eng.containers().dir(rec.id);
  auto lock = HUSK_TRY(lock_health(dir));
  HealthState before = HUSK_TRY(read_health(dir)).value_or(HealthState{});
  HealthState after = apply_health_result(
      before, r, *rec.healthcheck, parse_rfc3339_nanos(rec.started).value_or(probe_start), probe_start);
  HUSK_TRY(write_health(dir, after));
  lock.reset();
  if (after.status != before.status) eng.record_event(rec, "health_status: " + after.status);
  return r;
}

}  // namespace husk::engine
