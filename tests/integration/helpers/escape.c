// The seeds' chroot escape, for tests/integration/engine_seeds.bats and
// breakout.bats: run as root as
//   escape MARKER
// it chroots into a subdirectory keeping its cwd outside, climbs with "..",
// chroots there, and looks for MARKER, a path only the host has. Prints
// "ESCAPED: host marker visible" or "contained: host marker not visible".
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct stat st;
  if (argc != 2) return 2;
  mkdir(".out", 0755);
  if (chroot(".out") != 0) { perror("chroot .out"); return 3; }
  if (chdir("../../../../../../../../../../") != 0) { perror("chdir .."); return 4; }
  if (chroot(".") != 0) { perror("chroot ."); return 5; }
  puts(stat(argv[1], &st) == 0 ? "ESCAPED: host marker visible" : "contained: host marker not visible");
  return 0;
}
