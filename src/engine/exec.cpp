#include "engine/exec.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "image/bundle.hpp"
#include "linux/capabilities.hpp"
#include "linux/self_exe.hpp"
#include "runtime/container.hpp"
#include "runtime/exec.hpp"

namespace husk::engine {

namespace {

std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// -e K: K's value here, as docker's client does; nothing when unset.
std::optional<std::string> expand_bare(const std::string& kv) {
  if (kv.find('=') != std::string::npos) return kv;
  if (const char* v = std::getenv(kv.c_str())) return kv + "=" + v;
  return std::nullopt;
}

// --privileged: every capability husk itself may hand on (its bounding set:
// all the kernel has, unless husk runs confined), as docker's.
spec::Capabilities every_capability() {
  spec::Capabilities c;
  for (int cap = 0; cap <= linux::last_capability(); ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
    c.bounding.push_back(cap);
    c.effective.push_back(cap);
    c.permitted.push_back(cap);
    c.inheritable.push_back(cap);
  }
  return c;
}

// What the process's stdio is: docker gives an exec without -i no stdin,
// and a detached one no output at all. The exec'd process inherits ours at
// clone, so ours point at /dev/null meanwhile and come back afterwards
// (our errors still reach the user).
class NullStdio {
 public:
  static Result<NullStdio> redirect(std::vector<int> fds) {
    NullStdio n;
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) return fail_errno("open /dev/null");
    for (int fd : fds) {
      UniqueFd saved(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
      if (!saved || ::dup2(null.get(), fd) < 0)
        return fail_errno("point fd " + std::to_string(fd) + " at /dev/null");
      n.saved_.emplace_back(fd, std::move(saved));
    }
    return n;
  }
  NullStdio(NullStdio&&) = default;
  ~NullStdio() {
    for (auto& [fd, saved] : saved_)
      if (saved) ::dup2(saved.get(), fd);
  }

 private:
  NullStdio() = default;
  std::vector<std::pair<int, UniqueFd>> saved_;
};

}  // namespace

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  auto text = HUSK_TRY_CTX(read_file(path), "--env-file");
  std::vector<std::string> out;
  for (auto& raw : split(text, '\n')) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (env_key(line).empty())
      return fail_code(EINVAL, "--env-file " + path + ": invalid line \"" + line + "\": no variable name");
    if (auto kv = expand_bare(line)) out.push_back(*kv);
  }
  return out;
}

std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& overrides) {
  for (auto& kv : overrides) {
    std::string key = env_key(kv);
    auto same = std::find_if(base.begin(), base.end(), [&](auto& e) { return env_key(e) == key; });
    if (same != base.end())
      *same = kv;
    else
      base.push_back(kv);
  }
  return base;
}

Result<spec::Process> exec_process(spec::Process base, const ExecRequest& req, const std::string& rootfs) {
  if (req.command.empty()) return fail_code(EINVAL, "exec needs a command to run");
  spec::Process p = std::move(base);
  p.args = req.command;
  p.terminal = req.tty;
  p.console_size.reset();
  std::vector<std::string> env;
  for (auto& f : req.env_files) {
    auto more = HUSK_TRY(read_env_file(f));
    env.insert(env.end(), more.begin(), more.end());
  }
  for (auto& kv : req.env)
    if (auto e = expand_bare(kv)) env.push_back(*e);
  p.env = merge_env(std::move(p.env), env);
  if (!req.workdir.empty()) {
    if (req.workdir[0] != '/')
      return fail_code(EINVAL,
                       "the working directory \"" + req.workdir + "\" is invalid: it must be absolute");
    p.cwd = req.workdir;
  }
  if (!req.user.empty()) {
    auto u = HUSK_TRY(image::resolve_user(rootfs, req.user));
    p.user.uid = u.uid;
    p.user.gid = u.gid;
    p.user.additional_gids = u.additional_gids;
    p.user.username.clear();
  }
  if (req.privileged) p.capabilities = every_capability();
  return p;
}

Result<int> exec_in(const Engine& eng, const ExecRequest& req) {
  // The runtime re-executes itself from a protected copy before it joins a
  // container (see runtime/exec.cpp); doing it first spares the work twice.
  HUSK_TRY(linux::ensure_protected_self_exe());
  if (req.detach && req.tty)
    return fail_code(EINVAL,
                     "exec -d -t: a detached exec cannot keep a terminal without a daemon to hold it");
  auto rec = HUSK_TRY(eng.containers().find(req.container));
  auto live = eng.live_status(rec);
  if (live == LiveStatus::paused)
    return fail_code(EINVAL, "container " + rec.name + " is paused, unpause the container before exec");
  if (live != LiveStatus::running) return fail_code(EINVAL, "container " + rec.name + " is not running");
  auto rctx = eng.runtime_context();
  auto state = HUSK_TRY(runtime::container_state(rctx, rec.id));
  auto base = HUSK_TRY(runtime::container_process(rctx, rec.id));
  runtime::ExecOptions opts;
  opts.id = rec.id;
  opts.detach = req.detach;
  opts.pid_file = req.pid_file;
  opts.process = HUSK_TRY(exec_process(std::move(base), req, "/proc/" + std::to_string(state.pid) + "/root"));
  if (req.tty) {
    struct winsize ws;
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
      opts.process.console_size = spec::ConsoleSize{ws.ws_row, ws.ws_col};
  }
  std::vector<int> silenced;
  if (!req.interactive) silenced.push_back(STDIN_FILENO);
  if (req.detach) silenced.insert(silenced.end(), {STDOUT_FILENO, STDERR_FILENO});
  auto stdio = HUSK_TRY(NullStdio::redirect(silenced));
  // docker's events: the exec made and started, and (when we wait for it) its end.
  std::string exec_id = new_container_id(), what = join(req.command, " ");
  eng.record_event(rec, "exec_create: " + what, {{"execID", exec_id}});
  eng.record_event(rec, "exec_start: " + what, {{"execID", exec_id}});
  auto code = runtime::exec_in_container(rctx, opts);
  if (code && !req.detach) eng.record_event(rec, "exec_die", {{"execID", exec_id}, {"exitCode", std::to_string(*code)}});
  return code;
}

}  // namespace husk::engine
