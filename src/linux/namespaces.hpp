// The eight namespaces: which to create, which to join, and how.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/fd.hpp"
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
  bool join_user_first = false;             // a user namespace is joined by path
  std::vector<NamespaceJoin> child_joins;   // setns in the child, user first
  std::vector<NamespaceJoin> parent_joins;  // pid/time by path, in the parent
};

// Opens every namespace path now so a later failure cannot be a vanished path.
Result<NamespacePlan> plan_namespaces(const spec::Linux& linux);

Result<void> join_namespace(const NamespaceJoin& ns);

// fork(2) with namespace flags (CLONE_NEW*), and born in the cgroup2
// directory CGROUP2 when it is >= 0 (clone3's CLONE_INTO_CGROUP, Linux 5.7):
// a process born in its cgroup needs no migration, and so none of the global
// threadgroup lock whose RCU wait makes a cgroup.procs write cost ~10 ms.
// Returns pid 0 in the child, as fork.
struct Cloned {
  pid_t pid = -1;
  bool in_cgroup2 = false;  // false: the kernel lacks CLONE_INTO_CGROUP, or no CGROUP2 given
};
Result<Cloned> clone_child(unsigned long ns_flags, int cgroup2);

// A child whose namespaces must be entered from inside a user namespace the
// runtime itself must not join (one joined by path, or the container's when
// we are not root): a short-lived middle process runs ENTER (joins the user
// namespace, then what it owns) and clones the child with NS_FLAGS as *our*
// child (CLONE_PARENT), which runs BODY and never returns. The middle
// reports the child's pid (in our pid namespace: it never left it) and exits.
Result<Cloned> clone_through_middle(const std::function<Result<void>()>& enter, unsigned long ns_flags,
                                    const std::function<void()>& body);

// pid and time namespaces apply to the children a process creates, so the
// runtime enters (or makes) the container's around its clone. This holds our
// own and puts them back when it goes out of scope (the child never returns
// through it: it execs or exits).
class ChildNamespaces {
 public:
  static Result<ChildNamespaces> remember();
  ChildNamespaces(ChildNamespaces&&) = default;
  ~ChildNamespaces();

 private:
  ChildNamespaces() = default;
  UniqueFd pid_, time_;
};

// The namespace inode of a process, e.g. "net:[4026531840]" -> 4026531840.
Result<unsigned long long> namespace_inode(int pid, spec::NamespaceType t);

}  // namespace husk::linux
