#include "linux/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "linux/capabilities.hpp"

namespace husk::linux {

Result<RuntimeBinary> identify_runtime_binary() {
  struct stat st;
  if (::stat("/proc/self/exe", &st) < 0) return fail_errno("stat /proc/self/exe");
  return RuntimeBinary{st.st_dev, st.st_ino};
}

namespace {
// HOME=VALUE with a value (an empty one counts as none, as runc's getenv).
bool has_home(const std::vector<std::string>& env) {
  return std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.starts_with("HOME=") && e.size() > 5; });
}
}  // namespace

std::vector<std::string> env_with_home(std::vector<std::string> env, uid_t uid, const std::string& passwd_text) {
  if (has_home(env)) return env;
  std::erase(env, std::string("HOME="));
  std::string home = "/";
  for (auto& line : split(passwd_text, '\n')) {
    auto f = split(line, ':');
    if (f.size() < 6 || line.starts_with("#")) continue;
    if (auto id = parse_u64(f[2]); id && *id == uid) {
      if (!f[5].empty()) home = f[5];
      break;
    }
  }
  env.push_back("HOME=" + home);
  return env;
}

std::vector<std::string> env_with_home(std::vector<std::string> env, uid_t uid) {
  if (has_home(env)) return env;
  // No passwd (or none we may read) is "/", as for a uid without an entry.
  return env_with_home(std::move(env), uid, read_file("/etc/passwd").value_or(""));
}

Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env) {
  auto check = [](const std::string& p) -> int {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) return errno;
    if (S_ISDIR(st.st_mode)) return EACCES;
    if (::access(p.c_str(), X_OK) < 0) return errno;
    return 0;
  };
  if (arg0.find('/') != std::string::npos) {
    int err = check(arg0);
    if (err == ENOENT)
      return fail_code(ENOENT, "exec: \"" + arg0 + "\": stat " + arg0 + ": no such file or directory",
                       ErrorKind::command_not_found);
    if (err) return fail_code(err, "exec: \"" + arg0 + "\": permission denied", ErrorKind::command_not_executable);
    return arg0;
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (auto& e : env)
    if (e.starts_with("PATH=")) path = e.substr(5);
  int last = ENOENT;
  for (auto& dir : split(path, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + arg0;
    int err = check(candidate);
    if (err == 0) return candidate;
    if (err != ENOENT && err != ENOTDIR) last = err;
  }
  if (last == EACCES)
    return fail_code(EACCES, "exec: \"" + arg0 + "\": permission denied", ErrorKind::command_not_executable);
  return fail_code(ENOENT, "exec: \"" + arg0 + "\": executable file not found in $PATH",
                   ErrorKind::command_not_found);
}

Result<void> refuse_runtime_binary(const std::string& path, const RuntimeBinary& self) {
  std::string current = path;
  // The kernel follows at most a handful of interpreters; so do we.
  for (int depth = 0; depth < 5; ++depth) {
    UniqueFd fd(::open(current.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};  // execve will report it
    struct stat st;
    if (::fstat(fd.get(), &st) == 0 && st.st_dev == self.dev && st.st_ino == self.ino)
      return fail_code(EACCES,
                       "exec: \"" + path + "\": refusing to run the runtime binary inside the container",
                       ErrorKind::command_not_executable);
    char head[256];
    ssize_t n = ::read(fd.get(), head, sizeof head - 1);
    if (n < 4 || head[0] != '#' || head[1] != '!') return {};
    head[n] = 0;
    std::string line(head + 2, strcspn(head + 2, "\n"));
    line = trim(line);
    current = line.substr(0, line.find_first_of(" \t"));
    if (current.empty()) return {};
  }
  return {};
}

Result<void> make_missing_cwd(const std::string& cwd, uid_t uid, gid_t gid) {
  struct stat st;
  if (::stat(cwd.c_str(), &st) == 0 || errno != ENOENT) return {};  // chdir reports the rest
  std::string prefix;
  for (auto& part : split(cwd, '/')) {
    if (part.empty()) continue;
    prefix += "/" + part;
    if (::mkdir(prefix.c_str(), 0755) < 0) {
      if (errno == EEXIST) continue;
      return fail_errno("create cwd \"" + cwd + "\": mkdir " + prefix);
    }
    if (::lchown(prefix.c_str(), uid, gid) < 0)
      return fail_errno("create cwd \"" + cwd + "\": chown " + prefix);
  }
  return {};
}

Result<void> give_stdio_to(uid_t uid) {
  struct stat null_st;
  bool have_null = ::stat("/dev/null", &null_st) == 0 && S_ISCHR(null_st.st_mode);
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (::fstat(fd, &st) < 0) continue;  // closed: nothing to hand over
    if (st.st_uid == uid) continue;
    if (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev) continue;
    if (::fchown(fd, uid, st.st_gid) < 0) {
      if (errno == EINVAL || errno == EPERM) continue;
      return fail_errno("hand stdio fd " + std::to_string(fd) + " to uid " + std::to_string(uid));
    }
  }
  return {};
}

Result<void> verify_cwd_inside_root() {
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr || buf[0] != '/')
    return fail_code(EPERM, "current working directory is outside of the container root");
  return {};
}

bool setgroups_allowed() {
  auto sg = read_file("/proc/self/setgroups");
  return !(sg && sg->starts_with("deny"));
}

Result<void> set_rlimits(const std::vector<spec::Rlimit>& rlimits) {
  for (auto& r : rlimits) {
    struct rlimit rl = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(r.resource, &rl) < 0) return fail_errno("set " + r.type);
  }
  return {};
}

Result<void> apply_identity(const spec::Process& p, bool may_setgroups) {
  if (p.capabilities) HUSK_TRY(drop_bounding_set(*p.capabilities));
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail_errno("keep capabilities");
  if (may_setgroups) {
    std::vector<gid_t> groups(p.user.additional_gids.begin(), p.user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) < 0) return fail_errno("setgroups");
  }
  if (::setresgid(p.user.gid, p.user.gid, p.user.gid) < 0)
    return fail_errno("setgid " + std::to_string(p.user.gid));
  if (::setresuid(p.user.uid, p.user.uid, p.user.uid) < 0)
    return fail_errno("setuid " + std::to_string(p.user.uid));
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail_errno("clear keep capabilities");
  if (p.capabilities) {
    HUSK_TRY(apply_capabilities(*p.capabilities));
  } else {
    // No capabilities object: the process gets none, as the spec implies.
    HUSK_TRY(apply_capabilities(spec::Capabilities{}));
  }
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return fail_errno("set no_new_privs");
  return {};
}

namespace {
int close_range(unsigned first, unsigned last, unsigned flags) {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}
}  // namespace

Result<void> close_fds_from(int first, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  auto from = static_cast<unsigned>(first);
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < from) continue;
    if (static_cast<unsigned>(fd) > from && close_range(from, static_cast<unsigned>(fd) - 1, 0) < 0)
      return fail_errno("close fds " + std::to_string(from) + "-" + std::to_string(fd - 1));
    from = static_cast<unsigned>(fd) + 1;
  }
  if (close_range(from, ~0U, 0) < 0) return fail_errno("close fds from " + std::to_string(from));
  cloexec_fds_from(first);
  return {};
}

void cloexec_fds_from(int first) {
  (void)close_range(static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC);
}

void reset_signals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

int exec_process(const Executable& exe, const spec::Process& p) {
  std::vector<char*> argv, envp;
  for (auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : exe.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(exe.path.c_str(), argv.data(), envp.data());
  return errno;
}

int exit_code_for_exec_error(int err) {
  if (err == ENOENT || err == ENOTDIR) return 127;
  return 126;
}

}  // namespace husk::linux
