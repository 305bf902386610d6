// monitor/relay: the handoff across exec (launcher -> husk-monitor -> husk).
// What the sender names arrives whole, and the receiver owns every
// descriptor at once, close-on-exec again.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include "monitor/relay.hpp"

namespace husk::monitor {
namespace {

bool open_fd(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }
bool cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

// A descriptor the sender would hand on: inheritable, as exec_handoff makes it.
int inheritable() {
  int fd = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  EXPECT_GE(fd, 0);
  return fd;
}

std::optional<ReceivedHandoff> round_trip(const RelayHandoff& h) {
  auto args = encode_handoff(h);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return receive_handoff(static_cast<int>(argv.size()), argv.data());
}

TEST(MonitorHandoff, TheReceiverOwnsEveryDescriptorCloseOnExec) {
  RelayHandoff h{.root = "/var/lib/husk", .run_root = "/run/husk-engine", .id = "abc", .tty = false, .pid = 42,
                 .pidfd = inheritable(), .listener = inheritable(), .log = -1, .recorder = inheritable(),
                 .out = inheritable(), .err = inheritable()};
  int client = inheritable();
  h.clients = {{client, 3}};
  int named[] = {h.pidfd, h.listener, h.recorder, h.out, h.err, client};
  {
    auto r = round_trip(h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->root, "/var/lib/husk");
    EXPECT_EQ(r->run_root, "/run/husk-engine");
    EXPECT_EQ(r->id, "abc");
    EXPECT_EQ(r->pid, 42);
    EXPECT_FALSE(r->io.tty);
    EXPECT_EQ(r->pidfd.get(), h.pidfd);
    EXPECT_EQ(r->listener.get(), h.listener);
    EXPECT_FALSE(r->log);  // -1: none
    EXPECT_EQ(r->recorder.get(), h.recorder);
    EXPECT_EQ(r->io.out.get(), h.out);
    EXPECT_EQ(r->io.err.get(), h.err);
    EXPECT_FALSE(r->io.in);
    ASSERT_EQ(r->clients.size(), 1u);
    EXPECT_EQ(r->clients[0].fd.get(), client);
    EXPECT_TRUE(r->clients[0].stdin_);
    EXPECT_TRUE(r->clients[0].stdin_once);
    for (int fd : named) EXPECT_TRUE(cloexec(fd)) << fd;
  }
  // Owned: gone with the received handoff.
  for (int fd : named) EXPECT_FALSE(open_fd(fd)) << fd;
}

TEST(MonitorHandoff, AnExitCodeAndATerminalTravel) {
  RelayHandoff h{.root = "r", .run_root = "rr", .id = "i", .tty = true, .master = inheritable(), .code = 137};
  auto r = round_trip(h);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->io.tty);
  EXPECT_EQ(r->io.master.get(), h.master);
  EXPECT_EQ(r->io.input(), h.master);
  EXPECT_EQ(r->code, 137);
  EXPECT_TRUE(r->clients.empty());
}

TEST(MonitorHandoff, TheLogsRotationAndTheHealthchecksIntervalTravel) {
  RelayHandoff h{.root = "r",
                 .run_root = "rr",
                 .id = "i",
                 .log_rotation = {"/x/log", 1000, 3},
                 .health_interval_ms = 1500};
  auto r = round_trip(h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->log_rotation.path, "/x/log");
  EXPECT_EQ(r->log_rotation.max_size, 1000);
  EXPECT_EQ(r->log_rotation.max_files, 3);
  EXPECT_EQ(r->health_interval_ms, 1500);
  auto probe = health_probe(r->root, r->run_root, r->id, r->health_interval_ms);
  EXPECT_EQ(probe.interval_ms, 1500);
  ASSERT_EQ(probe.argv.size(), 8u);
  EXPECT_EQ(std::vector<std::string>(probe.argv.begin() + 1, probe.argv.end()),
            (std::vector<std::string>{"--root", "r", "--runroot", "rr", "healthcheck", "run", "i"}));
  EXPECT_TRUE(health_probe("r", "rr", "i", 0).argv.empty());
}

TEST(MonitorHandoff, AnythingElseIsNoHandoff) {
  char a[] = "only", b[] = "two";
  char* argv[] = {a, b};
  EXPECT_FALSE(receive_handoff(2, argv));
}

}  // namespace
}  // namespace husk::monitor
