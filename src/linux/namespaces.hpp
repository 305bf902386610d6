// The eight namespaces: which to create, which to join, and how.
#pragma once

#include <array>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "linux/kernel.hpp"
#include "spec/config.hpp"

namespace husk::linux {

int clone_flag(spec::NamespaceType t);

struct NamespaceJoin {
  spec::NamespaceType type;
  UniqueFd fd;  // opened in the runtime, before anything changes
  std::string path;
};

// What the container needs, split by who does it and when:
//  - pid and time act on children only, so the runtime (parent) joins or
//    creates them before cloning the init;
//  - the others are joined by the init itself, user namespace first;
//  - cgroup is unshared by the init after the runtime placed it in its cgroup.
struct NamespacePlan {
  int clone_flags = 0;      // new namespaces created by clone()
  bool new_cgroup = false;  // unshared by the child once in its cgroup
  bool new_user = false;
  bool new_time = false;
  bool new_pid = false;
  bool join_user_first = false;            // a user namespace is joined by path
  std::vector<NamespaceJoin> child_joins;  // setns in the child, user first
  // pid/time by path, in the parent; with a new user namespace also
  // net/ipc/uts/cgroup (the host's user namespace owns them).
  std::vector<NamespaceJoin> parent_joins;
};

// Opens every namespace path now so a later failure cannot be a vanished path.
Result<NamespacePlan> plan_namespaces(const spec::Linux& linux);

Result<void> join_namespace(Kernel& k, const NamespaceJoin& ns);
// setresgid/setresuid to 0: fresh in a user namespace our ids are unmapped.
Result<void> become_namespace_root(Kernel& k);
// The init's part of the plan, first thing after `go`: root in a new user
// namespace, then every child join in order (a user namespace joined by
// path was entered before the clone: only its root is taken here).
Result<void> join_init_namespaces(Kernel& k, const NamespacePlan& ns);

// fork(2) with namespace flags (CLONE_NEW*), and born in the cgroup2
// directory CGROUP2 when it is >= 0 (clone3's CLONE_INTO_CGROUP, Linux 5.7):
// a process born in its cgroup needs no migration, and so none of the global
// threadgroup lock whose RCU wait makes a cgroup.procs write cost ~10 ms.
// Returns pid 0 in the child, as fork.
struct Cloned {
  pid_t pid = -1;
  bool in_cgroup2 = false;  // false: the kernel lacks CLONE_INTO_CGROUP, or no CGROUP2 given
};
Result<Cloned> clone_child(Kernel& k, unsigned long ns_flags, int cgroup2);

// A child whose namespaces must be entered from inside a user namespace the
// runtime itself must not join (one joined by path, or the container's when
// we are not root): a short-lived middle process runs ENTER (joins the user
// namespace, then what it owns) and clones the child with NS_FLAGS as *our*
// child (CLONE_PARENT), which runs BODY and never returns. The middle
// reports the child's pid (in our pid namespace: it never left it) and exits.
Result<Cloned> clone_through_middle(Kernel& k, const std::function<Result<void>()>& enter,
                                    unsigned long ns_flags, const std::function<void()>& body);

// pid and time namespaces apply to the children a process creates, so the
// runtime enters (or makes) the container's around its clone (and, for a
// new user namespace, the host-owned ones it joins). This holds our own and
// puts them back when it goes out of scope (the child never returns
// through it: it execs or exits).
class ChildNamespaces {
 public:
  static Result<ChildNamespaces> remember(Kernel& k);
  ChildNamespaces(ChildNamespaces&&) = default;
  ~ChildNamespaces();

 private:
  ChildNamespaces() = default;
  Kernel* kernel_ = nullptr;
  std::vector<std::pair<UniqueFd, int>> fds_;  // ours, and its CLONE_NEW* type
};

// What a process exec'd into a running container joins: each namespace
// whose inode (THEIRS, indexed as spec::kAllNamespaceTypes; nullopt where the
// kernel lacks it) differs from OURS. pid and time act on children, so the
// runtime joins them before its clone; the child joins the rest at once
// through the container's pidfd.
struct PidfdJoins {
  int parent_flags = 0;  // pid, time
  int child_flags = 0;
};
using NamespaceInodes = std::array<std::optional<unsigned long long>, std::size(spec::kAllNamespaceTypes)>;
PidfdJoins pidfd_joins(const NamespaceInodes& theirs, const NamespaceInodes& ours);
NamespaceInodes namespace_inodes(int pid);
// The child's half: every namespace in CHILD_FLAGS through PIDFD (the kernel
// enters the user namespace first), then root in it when NEW_USER.
Result<void> join_through_pidfd(Kernel& k, int pidfd, int child_flags, bool new_user);

// The namespace inode of a process, e.g. "net:[4026531840]" -> 4026531840.
Result<unsigned long long> namespace_inode(int pid, spec::NamespaceType t);

}  // namespace husk::linux
