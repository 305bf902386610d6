/* husk-init: the container's PID 1 under `husk run --init`.
 *
 * A program never written to be PID 1 misbehaves there: the kernel gives
 * PID 1 no default signal actions (so SIGTERM from `husk stop` does nothing
 * unless it installed a handler), and orphans are re-parented to it, left
 * as zombies unless it waits for them. This init runs the command as its
 * child, forwards every signal it receives to it, reaps every process that
 * ends, and exits as the child did: its code, or 128+N for signal N.
 *
 *   husk-init -- COMMAND [ARG...]
 *
 * C and static: it is bound into images that have no libc of ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/* The child: signals as the command expects them, its own process group
 * (in the terminal's foreground, so ^C reaches it once, not via us too). */
static void run_command(char** argv, const sigset_t* original) {
  sigprocmask(SIG_SETMASK, original, NULL);
  setpgid(0, 0);
  if (isatty(STDIN_FILENO)) {
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(STDIN_FILENO, getpid());
    signal(SIGTTOU, SIG_DFL);
  }
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "husk-init: exec \"%s\": %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

/* Reaps every ended process; returns 1 once CHILD is among them. */
static int reap(pid_t child, int* code) {
  int found = 0, status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == child) {
      *code = exit_code(status);
      found = 1;
    }
  }
  return found;
}

int main(int argc, char** argv) {
  int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
  if (first >= argc) {
    fputs("usage: husk-init -- COMMAND [ARG...]\n", stderr);
    return 125;
  }
  /* Not PID 1 (--pid=host): orphans of the command are still ours. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t all, original;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &original);
  pid_t child = fork();
  if (child < 0) {
    perror("husk-init: fork");
    return 125;
  }
  if (child == 0) run_command(argv + first, &original);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue; /* EINTR */
    if (sig == SIGCHLD) {
      int code = 1;
      if (reap(child, &code)) return code;
      continue;
    }
    kill(child, sig);
  }
}
