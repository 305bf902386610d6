// One privileged system call, for tests/integration/breakout.bats: run
// inside a container (or on the host, as the control) as
//   sys keyctl                 join a new session keyring
//   sys unshare user|mount     unshare(CLONE_NEWUSER) or unshare(CLONE_NEWNS)
//   sys setns PATH             setns() into the namespace file PATH
//   sys ptrace PID             PTRACE_SEIZE the process PID (and let it go)
//   sys init_module            init_module() of a few bytes that are no module
//   sys read PATH              open PATH read-only and read 512 bytes of it
// Prints "ok" and exits 0, or "refused: <errno text>" and exits 1: the
// kernel's own words, so a test can tell a capability check (Operation not
// permitted) from a missing feature (Function not implemented).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_JOIN_SESSION_KEYRING 1

static int verdict(long rc) {
  if (rc < 0) {
    printf("refused: %s\n", strerror(errno));
    return 1;
  }
  puts("ok");
  return 0;
}

static long read_some(const char *path) {
  char buf[512];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long n = read(fd, buf, sizeof buf);
  int saved = errno;
  close(fd);
  errno = saved;
  return n < 0 ? -1 : 0;
}

static long do_setns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  return setns(fd, 0);
}

static long do_ptrace(pid_t pid) {
  if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) return -1;
  return ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0 && errno != ESRCH ? -1 : 0;
}

int main(int argc, char **argv) {
  const char *op = argc > 1 ? argv[1] : "";
  if (argc == 2 && strcmp(op, "keyctl") == 0)
    return verdict(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL));
  if (argc == 3 && strcmp(op, "unshare") == 0)
    return verdict(unshare(strcmp(argv[2], "user") == 0 ? CLONE_NEWUSER : CLONE_NEWNS));
  if (argc == 3 && strcmp(op, "setns") == 0) return verdict(do_setns(argv[2]));
  if (argc == 3 && strcmp(op, "ptrace") == 0) return verdict(do_ptrace(atoi(argv[2])));
  if (argc == 2 && strcmp(op, "init_module") == 0) {
    static const char junk[64] = "not an ELF module";
    return verdict(syscall(SYS_init_module, junk, sizeof junk, ""));
  }
  if (argc == 3 && strcmp(op, "read") == 0) return verdict(read_some(argv[2]));
  fprintf(stderr, "usage: sys keyctl | unshare user|mount | setns PATH | ptrace PID | init_module | read PATH\n");
  return 2;
}
