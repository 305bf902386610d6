// base/error and base/fd: the exit code an error's kind maps to, write_all
// through short writes and errors, and the flock helper.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "base/fd.hpp"
#include "test_helpers.hpp"

namespace husk {
namespace {

using testing::FailsWith;
using testing::TempDir;

TEST(ErrorKind, ExitCodesComeFromTheKindNotTheText) {
  EXPECT_EQ(exit_code_for(ErrorKind::command_not_found, 125), 127);
  EXPECT_EQ(exit_code_for(ErrorKind::command_not_executable, 125), 126);
  EXPECT_EQ(exit_code_for(ErrorKind::failed, 125), 125);
  EXPECT_EQ(exit_code_for(ErrorKind::invalid_argument, 125), 125);
  // runc's own failure is 1; a command that cannot run is docker's code still.
  EXPECT_EQ(exit_code_for(ErrorKind::failed, 1), 1);
  EXPECT_EQ(exit_code_for(ErrorKind::command_not_found, 1), 127);
  // Text that looks like an exec failure does not make one.
  Error lookalike(ENOENT, "exec: \"sh\": executable file not found in $PATH", false);
  EXPECT_EQ(exit_code_for(lookalike.kind(), 125), 125);
}

TEST(ErrorKind, ContextKeepsTheKind) {
  Error e(EACCES, "exec: \"/x\": permission denied", false, ErrorKind::command_not_executable);
  EXPECT_EQ(e.context("exec in c1").kind(), ErrorKind::command_not_executable);
  auto r = with_context(Result<void>(fail_code(ENOENT, "gone", ErrorKind::command_not_found)), "run");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind(), ErrorKind::command_not_found);
  EXPECT_EQ(r.error().what(), "run: gone");
}

// More than a pipe holds: write_all goes on after each short write while a
// reader drains the other end, and a signal's EINTR does not stop it.
TEST(WriteAll, WritesEverythingThroughShortWritesAndInterruptions) {
  auto p = make_pipe();
  ASSERT_TRUE(p.has_value()) << p.error().what();
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  struct sigaction sa = {}, old = {};
  sa.sa_handler = [](int) {};  // no SA_RESTART: a blocked write returns EINTR
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  pthread_t writer_thread = ::pthread_self();
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    for (int i = 0;; ++i) {
      if (i % 16 == 0) ::pthread_kill(writer_thread, SIGUSR1);
      ssize_t n = ::read(p->read.get(), buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  });
  auto r = write_all(p->write.get(), data);
  p->write.reset();
  reader.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(WriteAll, AReaderThatWentAwayIsEpipeWithTheMessageGiven) {
  auto p = make_pipe();
  ASSERT_TRUE(p.has_value());
  p->read.reset();
  auto old = ::signal(SIGPIPE, SIG_IGN);
  auto r = write_all(p->write.get(), "lost", "write the report");
  ::signal(SIGPIPE, old);
  EXPECT_TRUE(FailsWith(r, EPIPE, "write the report"));
  EXPECT_NE(r.error().what().find("Broken pipe"), std::string::npos) << r.error().what();
}

TEST(FlockFd, LocksAndReportsAHeldLockWithItsErrno) {
  TempDir tmp;
  auto a = open_fd(tmp / "lock", O_RDWR | O_CREAT, 0600);
  auto b = open_fd(tmp / "lock", O_RDWR);
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_TRUE(flock_fd(a->get(), LOCK_EX, "lock a").has_value());
  // Another open file description: the lock is held against it.
  EXPECT_TRUE(FailsWith(flock_fd(b->get(), LOCK_EX | LOCK_NB, "lock " + tmp / "lock"), EWOULDBLOCK, "lock "));
  EXPECT_TRUE(FailsWith(flock_fd(b->get(), LOCK_SH | LOCK_NB, "lock b"), EWOULDBLOCK, "lock b"));
  a->reset();
  EXPECT_TRUE(flock_fd(b->get(), LOCK_SH | LOCK_NB, "lock b").has_value());
  EXPECT_TRUE(FailsWith(flock_fd(-1, LOCK_EX, "lock nothing"), EBADF, "lock nothing"));
}

}  // namespace
}  // namespace husk
