#include "linux/namespaces.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/fd.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace husk::linux {

using spec::NamespaceType;

int clone_flag(NamespaceType t) {
  switch (t) {
    case NamespaceType::pid:
      return CLONE_NEWPID;
    case NamespaceType::network:
      return CLONE_NEWNET;
    case NamespaceType::mount:
      return CLONE_NEWNS;
    case NamespaceType::ipc:
      return CLONE_NEWIPC;
    case NamespaceType::uts:
      return CLONE_NEWUTS;
    case NamespaceType::user:
      return CLONE_NEWUSER;
    case NamespaceType::cgroup:
      return CLONE_NEWCGROUP;
    case NamespaceType::time:
      return CLONE_NEWTIME;
  }
  return 0;
}

Result<NamespacePlan> plan_namespaces(const spec::Linux& linux) {
  NamespacePlan plan;
  for (auto& ns : linux.namespaces) {
    std::string name = spec::namespace_type_name(ns.type);
    if (ns.path.empty()) {
      switch (ns.type) {
        case NamespaceType::cgroup:
          plan.new_cgroup = true;
          break;
        case NamespaceType::time:
          plan.new_time = true;
          break;
        case NamespaceType::user:
          plan.new_user = true;
          plan.clone_flags |= CLONE_NEWUSER;
          break;
        case NamespaceType::pid:
          plan.new_pid = true;
          plan.clone_flags |= CLONE_NEWPID;
          break;
        default:
          plan.clone_flags |= clone_flag(ns.type);
      }
      continue;
    }
    auto fd = open_fd(ns.path, O_RDONLY);
    if (!fd) return fail(std::move(fd).error().context(name + " namespace"));
    NamespaceJoin j{ns.type, std::move(*fd), ns.path};
    if (ns.type == NamespaceType::pid || ns.type == NamespaceType::time) {
      plan.parent_joins.push_back(std::move(j));
    } else if (ns.type == NamespaceType::user) {
      plan.join_user_first = true;
      plan.child_joins.insert(plan.child_joins.begin(), std::move(j));
    } else {
      plan.child_joins.push_back(std::move(j));
    }
  }
  // A new user namespace's init could not join a namespace the host's owns
  // (it has no capability there): the parent joins those before the clone,
  // so the init is born in them, as runc joins them before it unshares the
  // user namespace. A mount namespace stays the init's to join.
  if (plan.new_user && !plan.join_user_first) {
    auto host_owned = [](const NamespaceJoin& j) {
      return j.type == NamespaceType::network || j.type == NamespaceType::ipc ||
             j.type == NamespaceType::uts || j.type == NamespaceType::cgroup;
    };
    for (auto it = plan.child_joins.begin(); it != plan.child_joins.end();) {
      if (!host_owned(*it)) {
        ++it;
        continue;
      }
      plan.parent_joins.push_back(std::move(*it));
      it = plan.child_joins.erase(it);
    }
  }
  return plan;
}

Result<void> join_namespace(Kernel& k, const NamespaceJoin& ns) {
  if (k.setns(ns.fd.get(), clone_flag(ns.type)) < 0)
    return fail_errno("join " + spec::namespace_type_name(ns.type) + " namespace " + ns.path);
  return {};
}

Result<void> become_namespace_root(Kernel& k) {
  // Fresh in a user namespace our ids are unmapped; 0 is its root.
  if (k.setresgid(0, 0, 0) < 0) return fail_errno("setgid 0 in the user namespace");
  if (k.setresuid(0, 0, 0) < 0) return fail_errno("setuid 0 in the user namespace");
  return {};
}

Result<void> join_init_namespaces(Kernel& k, const NamespacePlan& ns) {
  if (ns.new_user) HUSK_TRY(become_namespace_root(k));
  for (auto& j : ns.child_joins) {
    // A user namespace joined by path: we were born in it (clone_init).
    if (j.type != NamespaceType::user) HUSK_TRY(join_namespace(k, j));
    if (j.type == NamespaceType::user) HUSK_TRY(become_namespace_root(k));
  }
  return {};
}

namespace {
// What the runtime may enter around a clone, and goes back to after it.
constexpr std::pair<NamespaceType, int> kRemembered[] = {
    {NamespaceType::pid, CLONE_NEWPID},     {NamespaceType::time, CLONE_NEWTIME},
    {NamespaceType::network, CLONE_NEWNET}, {NamespaceType::ipc, CLONE_NEWIPC},
    {NamespaceType::uts, CLONE_NEWUTS},     {NamespaceType::cgroup, CLONE_NEWCGROUP}};
}  // namespace

Result<ChildNamespaces> ChildNamespaces::remember(Kernel& k) {
  ChildNamespaces c;
  c.kernel_ = &k;
  for (auto [type, flag] : kRemembered) {
    auto fd = open_fd("/proc/self/ns/" + spec::namespace_proc_name(type), O_RDONLY);
    if (!fd && type != NamespaceType::time && type != NamespaceType::pid) continue;
    c.fds_.emplace_back(HUSK_TRY(std::move(fd)), flag);
  }
  return c;
}

ChildNamespaces::~ChildNamespaces() {
  for (auto& [fd, flag] : fds_)
    if (fd) kernel_->setns(fd.get(), flag);
}

Result<unsigned long long> namespace_inode(int pid, NamespaceType t) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + spec::namespace_proc_name(t);
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return fail_errno("stat " + path);
  return static_cast<unsigned long long>(st.st_ino);
}

PidfdJoins pidfd_joins(const NamespaceInodes& theirs, const NamespaceInodes& ours) {
  PidfdJoins j;
  for (size_t i = 0; i < theirs.size(); ++i) {
    if (!theirs[i] || (ours[i] && *ours[i] == *theirs[i])) continue;
    auto t = spec::kAllNamespaceTypes[i];
    if (t == NamespaceType::pid || t == NamespaceType::time)
      j.parent_flags |= clone_flag(t);
    else
      j.child_flags |= clone_flag(t);
  }
  return j;
}

NamespaceInodes namespace_inodes(int pid) {
  NamespaceInodes out;
  for (size_t i = 0; i < out.size(); ++i)
    if (auto ino = namespace_inode(pid, spec::kAllNamespaceTypes[i])) out[i] = *ino;
  return out;
}

Result<void> join_through_pidfd(Kernel& k, int pidfd, int child_flags, bool new_user) {
  if (child_flags && k.setns(pidfd, child_flags) < 0) return fail_errno("join the container's namespaces");
  if (new_user) {
    if (k.setresgid(0, 0, 0) < 0 || k.setresuid(0, 0, 0) < 0)
      return fail_errno("become root in user namespace");
  }
  return {};
}

Result<Cloned> clone_child(Kernel& k, unsigned long ns_flags, int cgroup2) {
  if (cgroup2 >= 0) {
    clone_args args{};
    args.flags = ns_flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroup2);
    long pid = k.clone3(&args, sizeof args);
    if (pid >= 0) return Cloned{static_cast<pid_t>(pid), true};
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) return fail_errno("clone3");
  }
  long pid = k.clone(ns_flags | SIGCHLD);
  if (pid < 0) return fail_errno("clone");
  return Cloned{static_cast<pid_t>(pid), false};
}

Result<Cloned> clone_through_middle(Kernel& k, const std::function<Result<void>()>& enter,
                                    unsigned long ns_flags, const std::function<void()>& body) {
  auto fds = HUSK_TRY(make_pipe("pipe"));
  UniqueFd read_end = std::move(fds.read), write_end = std::move(fds.write);
  auto middle = HUSK_TRY_CTX(clone_child(k, 0, -1), "clone the namespace joiner");
  if (middle.pid == 0) {
    auto cloned = [&]() -> Result<Cloned> {
      HUSK_TRY(enter());
      return clone_child(k, ns_flags | CLONE_PARENT, -1);
    }();
    if (cloned && cloned->pid == 0) {
      body();
      ::_exit(127);
    }
    int64_t report = cloned ? cloned->pid : -static_cast<int64_t>(cloned.error().err());
    (void)!::write(write_end.get(), &report, sizeof report);
    ::_exit(0);
  }
  write_end.reset();
  int64_t report = 0;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  ::waitpid(middle.pid, nullptr, 0);
  if (n != sizeof report) return fail_code(EPIPE, "clone in the container's user namespace: no report");
  if (report <= 0)
    return fail_code(static_cast<int>(-report), std::string("clone in the container's user namespace: ") +
                                                    std::strerror(static_cast<int>(-report)));
  return Cloned{static_cast<pid_t>(report), false};
}

}  // namespace husk::linux
