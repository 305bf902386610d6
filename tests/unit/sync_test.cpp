// linux/sync: the runtime <-> init channel. What matters most is that an
// init which dies of an error gets that error to the runtime, whatever the
// runtime was doing at the time (sending, or waiting for another message).
#include <gtest/gtest.h>

#include "linux/sync.hpp"
#include "test_helpers.hpp"

namespace husk::linux {
namespace {

using testing::FailsWith;

TEST(Sync, MessagesArriveInOrderWithTheirText) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.has_value()) << pair.error().what();
  auto& [parent, child] = *pair;
  ASSERT_TRUE(parent.send(SyncMsg::go).has_value());
  ASSERT_TRUE(parent.send(SyncMsg::cgroup_made, 7, "seven").has_value());
  EXPECT_TRUE(child.expect(SyncMsg::go).has_value());
  auto m = child.expect(SyncMsg::cgroup_made);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->value, 7);
  EXPECT_EQ(m->text, "seven");
}

TEST(Sync, AnUnexpectedMessageIsAProtocolError) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.has_value());
  auto& [parent, child] = *pair;
  ASSERT_TRUE(parent.send(SyncMsg::cgroup_ready).has_value());
  EXPECT_TRUE(FailsWith(child.expect(SyncMsg::cgroup_made), EPROTO, "expected \"cgroup-made\""));
}

// The init failed and exited without reading what the runtime had sent it:
// the kernel resets the connection, and says so ahead of the queued error.
TEST(Sync, TheErrorOfAPeerThatExitedWithMessagesUnreadStillArrives) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.has_value());
  auto& [parent, child] = *pair;
  ASSERT_TRUE(parent.send(SyncMsg::cgroup_made).has_value());
  ASSERT_TRUE(child.send_error(Error(ENOENT, "exec: \"nope\": no such file")).has_value());
  child.close();
  EXPECT_TRUE(FailsWith(parent.expect(SyncMsg::ready), ENOENT, "no such file"));
  // Then the end of the stream, as a peer that went away.
  EXPECT_TRUE(FailsWith(parent.expect(SyncMsg::ready), EPIPE, "exited before \"ready\""));
}

TEST(Sync, SendingToAPeerThatDiedReportsWhyItDied) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.has_value());
  auto& [parent, child] = *pair;
  ASSERT_TRUE(parent.send(SyncMsg::go).has_value());
  ASSERT_TRUE(child.send_error(Error(EACCES, "mount /proc: denied")).has_value());
  child.close();
  EXPECT_TRUE(FailsWith(parent.send(SyncMsg::cgroup_ready), EACCES, "mount /proc: denied"));
}

// The exit code (127, 126) is the kind's: it must cross the channel with the error.
TEST(Sync, AnErrorKeepsItsKindAcrossTheChannel) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.has_value());
  auto& [parent, child] = *pair;
  ASSERT_TRUE(child.send_error(Error(ENOENT, "exec: \"nope\": executable file not found in $PATH", false,
                                     ErrorKind::command_not_found))
                  .has_value());
  auto r = parent.expect(SyncMsg::ready);
  ASSERT_TRUE(FailsWith(r, ENOENT, "executable file not found"));
  EXPECT_EQ(r.error().kind(), ErrorKind::command_not_found);
  EXPECT_EQ(r.error().what(), "exec: \"nope\": executable file not found in $PATH");
}

TEST(Sync, APeerThatExitedSilentlyIsNamed) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.has_value());
  auto& [parent, child] = *pair;
  child.close();
  EXPECT_TRUE(FailsWith(parent.expect(SyncMsg::ready), EPIPE, "container init exited before \"ready\""));
}

}  // namespace
}  // namespace husk::linux
