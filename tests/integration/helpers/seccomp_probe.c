// A probe for tests/integration/runtime_seccomp.bats, run inside a container
// under a seccomp filter: makes one system call and says what came of it.
//   seccomp_probe mkdir PATH          mkdir(2) (the syscall itself, not mkdirat)
//   seccomp_probe personality VALUE   personality(2) with VALUE (decimal or 0x..)
//   seccomp_probe socket DOMAIN       socket(DOMAIN, SOCK_STREAM, 0); DOMAIN is a number
//   seccomp_probe trap PATH           mkdir with a SIGSYS handler that reports the trap
//   seccomp_probe thread PATH         mkdir from a second thread; the main one reports
//                                     whether it outlived it (kill thread vs process)
//   seccomp_probe i386-getpid         getpid through the 32-bit entry (int $0x80)
// Prints "ok" (or "ok RESULT"), or "errno N" with the error's text.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(long rc) {
  if (rc < 0) {
    printf("errno %d %s\n", errno, strerror(errno));
    return 1;
  }
  printf("ok %ld\n", rc);
  return 0;
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)ctx;
  // SYS_SECCOMP is si_code 1: the filter's SECCOMP_RET_TRAP.
  char buf[96];
  int n = snprintf(buf, sizeof buf, "sigsys code=%d syscall=%d\n", si->si_code, si->si_syscall);
  (void)!write(1, buf, n);
  _exit(0);
}

static void *mkdir_thread(void *path) {
  report(syscall(SYS_mkdir, (const char *)path, 0755));
  return NULL;
}

static long i386_getpid(void) {
#if defined(__x86_64__)
  long rc = 20;  // __NR_getpid of i386
  __asm__ volatile("int $0x80" : "+a"(rc) : : "memory");
  if (rc < 0 && rc > -4096) {
    errno = (int)-rc;
    return -1;
  }
  return rc;
#else
  errno = ENOSYS;
  return -1;
#endif
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "mkdir") == 0) return report(syscall(SYS_mkdir, argv[2], 0755));
  if (argc == 3 && strcmp(argv[1], "personality") == 0)
    return report(syscall(SYS_personality, strtoul(argv[2], NULL, 0)));
  if (argc == 3 && strcmp(argv[1], "socket") == 0) return report(socket(atoi(argv[2]), SOCK_STREAM, 0));
  if (argc == 3 && strcmp(argv[1], "trap") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    return report(syscall(SYS_mkdir, argv[2], 0755));
  }
  if (argc == 3 && strcmp(argv[1], "thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, mkdir_thread, argv[2]) != 0) return 2;
    // A killed thread never returns; its tid is cleared all the same.
    pthread_join(t, NULL);
    puts("main survived");
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "i386-getpid") == 0) return report(i386_getpid());
  fprintf(stderr, "usage: seccomp_probe mkdir|personality|socket|trap|thread ARG | i386-getpid\n");
  return 2;
}
