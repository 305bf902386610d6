// Which namespaces a config creates, joins or inherits, and the order of the
// joins, through the recording fake: the init's (user first, root in it),
// the runtime's around its clone (pid, time), an exec's (through the pidfd),
// and clone's fallback on kernels without clone3's CLONE_INTO_CGROUP.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>

#include "fake_kernel.hpp"
#include "linux/namespaces.hpp"
#include "test_helpers.hpp"

namespace husk::linux {
namespace {

using spec::NamespaceType;
using testing::FailsWith;
using testing::RecordingKernel;

spec::Linux with_namespaces(std::vector<spec::Namespace> list) {
  spec::Linux l;
  l.namespaces = std::move(list);
  return l;
}

// A namespace joined by path: our own, which the test may always open.
spec::Namespace joined(NamespaceType t) { return {t, "/proc/self/ns/" + spec::namespace_proc_name(t)}; }
spec::Namespace fresh(NamespaceType t) { return {t, ""}; }

TEST(NamespacePlan, NewNamespacesAreCloneFlagsExceptCgroupAndTime) {
  auto plan = plan_namespaces(
      with_namespaces({fresh(NamespaceType::pid), fresh(NamespaceType::network), fresh(NamespaceType::mount),
                       fresh(NamespaceType::ipc), fresh(NamespaceType::uts), fresh(NamespaceType::user),
                       fresh(NamespaceType::cgroup), fresh(NamespaceType::time)}));
  ASSERT_TRUE(plan) << plan.error().what();
  EXPECT_EQ(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWUSER,
            plan->clone_flags);
  EXPECT_TRUE(plan->new_pid && plan->new_user && plan->new_cgroup && plan->new_time);
  EXPECT_FALSE(plan->join_user_first);
  EXPECT_TRUE(plan->child_joins.empty() && plan->parent_joins.empty());
}

TEST(NamespacePlan, WhatIsNotListedIsInherited) {
  auto plan = plan_namespaces(with_namespaces({fresh(NamespaceType::mount)}));
  ASSERT_TRUE(plan);
  EXPECT_EQ(CLONE_NEWNS, plan->clone_flags);
  EXPECT_FALSE(plan->new_pid || plan->new_user || plan->new_cgroup || plan->new_time);
}

TEST(NamespacePlan, PidAndTimeByPathAreTheParentsAndAUserNamespaceIsJoinedFirst) {
  auto plan = plan_namespaces(
      with_namespaces({joined(NamespaceType::network), joined(NamespaceType::pid), joined(NamespaceType::ipc),
                       joined(NamespaceType::user), fresh(NamespaceType::mount)}));
  ASSERT_TRUE(plan) << plan.error().what();
  EXPECT_EQ(CLONE_NEWNS, plan->clone_flags);
  EXPECT_TRUE(plan->join_user_first);
  ASSERT_EQ(3u, plan->child_joins.size());
  EXPECT_EQ(NamespaceType::user, plan->child_joins[0].type);
  EXPECT_EQ(NamespaceType::network, plan->child_joins[1].type);
  EXPECT_EQ(NamespaceType::ipc, plan->child_joins[2].type);
  ASSERT_EQ(1u, plan->parent_joins.size());
  EXPECT_EQ(NamespaceType::pid, plan->parent_joins[0].type);
}

TEST(NamespacePlan, AMissingPathFailsBeforeAnythingIsMade) {
  auto plan = plan_namespaces(with_namespaces({{NamespaceType::network, "/proc/self/ns/nonesuch"}}));
  EXPECT_TRUE(FailsWith(plan, ENOENT, "network namespace"));
}

TEST(InitJoins, ANewUserNamespacesInitIsBornInTheHostOwnedOnesAndJoinsOnlyAMountNamespace) {
  // It would have no capability in a network or UTS namespace the host's
  // user namespace owns: the runtime joins those around the clone (as runc).
  auto plan = plan_namespaces(with_namespaces({fresh(NamespaceType::user), joined(NamespaceType::network),
                                               joined(NamespaceType::uts), joined(NamespaceType::mount)}));
  ASSERT_TRUE(plan);
  ASSERT_EQ(2u, plan->parent_joins.size());
  EXPECT_EQ(NamespaceType::network, plan->parent_joins[0].type);
  EXPECT_EQ(NamespaceType::uts, plan->parent_joins[1].type);
  RecordingKernel k;
  ASSERT_TRUE(join_init_namespaces(k, *plan));
  auto calls = k.texts();
  ASSERT_EQ(3u, calls.size()) << ::testing::PrintToString(calls);
  EXPECT_EQ("setresgid(0,0,0)", calls[0]);
  EXPECT_EQ("setresuid(0,0,0)", calls[1]);
  EXPECT_TRUE(calls[2].starts_with("setns(mnt:[") && calls[2].ends_with("CLONE_NEWNS)")) << calls[2];
}

TEST(InitJoins, AUserNamespaceByPathIsEnteredAtCloneAndOnlyItsRootTakenHere) {
  auto plan = plan_namespaces(with_namespaces({joined(NamespaceType::ipc), joined(NamespaceType::user)}));
  ASSERT_TRUE(plan);
  RecordingKernel k;
  ASSERT_TRUE(join_init_namespaces(k, *plan));
  auto calls = k.texts();
  ASSERT_EQ(3u, calls.size()) << ::testing::PrintToString(calls);
  EXPECT_EQ("setresgid(0,0,0)", calls[0]);
  EXPECT_EQ("setresuid(0,0,0)", calls[1]);
  EXPECT_TRUE(calls[2].ends_with("CLONE_NEWIPC)")) << calls[2];
}

TEST(InitJoins, AFailedJoinNamesTheNamespaceAndPath) {
  auto plan = plan_namespaces(with_namespaces({joined(NamespaceType::network), joined(NamespaceType::ipc)}));
  ASSERT_TRUE(plan);
  RecordingKernel k;
  k.fail("setns", EINVAL, "CLONE_NEWNET");
  EXPECT_TRUE(FailsWith(join_init_namespaces(k, *plan), EINVAL, "join network namespace /proc/self/ns/net"));
  EXPECT_EQ(1u, k.calls.size()) << "nothing after the failed join";
}

TEST(PidfdJoins, OnlyNamespacesThatDifferFromOursAreJoined) {
  NamespaceInodes ours, theirs;
  for (size_t i = 0; i < ours.size(); ++i) ours[i] = theirs[i] = 100 + i;
  // kAllNamespaceTypes: pid, network, mount, ipc, uts, user, cgroup, time.
  theirs[0] = 1;  // pid
  theirs[2] = 2;  // mount
  theirs[5] = 3;  // user
  theirs[7] = 4;  // time
  auto j = pidfd_joins(theirs, ours);
  EXPECT_EQ(CLONE_NEWPID | 0x80 /* CLONE_NEWTIME */, j.parent_flags);
  EXPECT_EQ(CLONE_NEWNS | CLONE_NEWUSER, j.child_flags);
}

TEST(PidfdJoins, ANamespaceTheKernelLacksIsSkippedAndOneWeCannotSeeJoined) {
  NamespaceInodes ours, theirs;
  for (size_t i = 0; i < ours.size(); ++i) ours[i] = theirs[i] = 100 + i;
  theirs[7].reset();  // an old kernel: no time namespaces
  ours[1].reset();    // ours unreadable: theirs is joined
  auto j = pidfd_joins(theirs, ours);
  EXPECT_EQ(0, j.parent_flags);
  EXPECT_EQ(CLONE_NEWNET, j.child_flags);
}

TEST(PidfdJoins, TheChildJoinsAllAtOnceThenBecomesRoot) {
  RecordingKernel k;
  int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(join_through_pidfd(k, fd, CLONE_NEWUSER | CLONE_NEWNS, true));
  ::close(fd);
  auto calls = k.texts();
  ASSERT_EQ(3u, calls.size()) << ::testing::PrintToString(calls);
  EXPECT_TRUE(calls[0].ends_with("CLONE_NEWUSER|CLONE_NEWNS)")) << calls[0];
  EXPECT_EQ("setresgid(0,0,0)", calls[1]);
  EXPECT_EQ("setresuid(0,0,0)", calls[2]);
}

TEST(PidfdJoins, NothingToJoinInTheHostsUserNamespaceMakesNoCall) {
  RecordingKernel k;
  ASSERT_TRUE(join_through_pidfd(k, -1, 0, false));
  EXPECT_TRUE(k.calls.empty());
}

TEST(PidfdJoins, AFailedJoinIsReported) {
  RecordingKernel k;
  k.fail("setns", EPERM);
  EXPECT_TRUE(
      FailsWith(join_through_pidfd(k, -1, CLONE_NEWNS, false), EPERM, "join the container's namespaces"));
}

TEST(CloneChild, IntoItsCgroupWithClone3) {
  RecordingKernel k;
  auto c = clone_child(k, CLONE_NEWNS | CLONE_NEWPID, 7);
  ASSERT_TRUE(c);
  EXPECT_EQ(4242, c->pid);
  EXPECT_TRUE(c->in_cgroup2);
  EXPECT_EQ((std::vector<std::string>{"clone3(CLONE_NEWNS|CLONE_NEWPID|CLONE_INTO_CGROUP)"}), k.texts());
}

TEST(CloneChild, AKernelWithoutClone3FallsBackToClone) {
  for (int err : {ENOSYS, E2BIG, EINVAL}) {
    RecordingKernel k;
    k.fail("clone3", err);
    auto c = clone_child(k, CLONE_NEWNET, 7);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->in_cgroup2) << "the runtime moves it itself";
    EXPECT_EQ("clone(CLONE_NEWNET)", k.texts().back());
  }
}

TEST(CloneChild, OtherClone3ErrorsAreErrors) {
  RecordingKernel k;
  k.fail("clone3", EPERM);
  EXPECT_TRUE(FailsWith(clone_child(k, 0, 7), EPERM, "clone3"));
  EXPECT_EQ(1u, k.calls.size());
}

TEST(CloneChild, WithoutACgroupItIsPlainClone) {
  RecordingKernel k;
  ASSERT_TRUE(clone_child(k, CLONE_NEWUTS, -1));
  EXPECT_EQ((std::vector<std::string>{"clone(CLONE_NEWUTS)"}), k.texts());
}

}  // namespace
}  // namespace husk::linux
