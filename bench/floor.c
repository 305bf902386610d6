/*
 * floor: the bare floor for the `husk-runtime run` benchmark.
 *
 * Does only what a minimal container runtime cannot avoid doing to start a
 * process in a rootfs, and nothing else (no config.json parsing, no state
 * directory, no cgroups, no /dev setup, no capabilities, no seccomp):
 *
 *   clone(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD)
 *   child:  mount --make-rprivate /
 *           mount --bind ROOTFS ROOTFS
 *           mount -t proc proc ROOTFS/proc
 *           chdir(ROOTFS); pivot_root(".", "."); umount2(".", MNT_DETACH);
 *           chdir("/"); execv(CMD, [CMD, ARGS...])
 *   parent: waitpid(child) and exit with its status (128+N if killed by N).
 *
 * Usage: floor ROOTFS CMD [ARGS...]      (CMD is a path inside ROOTFS)
 * Build: cc -O2 -o floor floor.c         (bench/runtime-run.sh does this, into a temp dir)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

struct args {
    const char *rootfs;
    char **argv; /* argv[0] is the command path inside the rootfs */
};

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "floor: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
            strerror(errno));
    _exit(127);
}

static int child(void *p)
{
    const struct args *a = p;
    char procdir[PATH_MAX];

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die("mount --make-rprivate", "/");
    if (mount(a->rootfs, a->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        die("bind mount", a->rootfs);
    if (snprintf(procdir, sizeof procdir, "%s/proc", a->rootfs) >= (int)sizeof procdir) {
        errno = ENAMETOOLONG;
        die("path", a->rootfs);
    }
    if (mount("proc", procdir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die("mount proc on", procdir);
    if (chdir(a->rootfs) < 0)
        die("chdir", a->rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        die("pivot_root", a->rootfs);
    if (umount2(".", MNT_DETACH) < 0)
        die("umount2", "old root");
    if (chdir("/") < 0)
        die("chdir", "/");
    execv(a->argv[0], a->argv);
    die("execv", a->argv[0]);
    return 127;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROOTFS CMD [ARGS...]\n", argv[0]);
        return 2;
    }

    char rootfs[PATH_MAX];
    if (!realpath(argv[1], rootfs)) {
        fprintf(stderr, "floor: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    struct args a = { .rootfs = rootfs, .argv = argv + 2 };

    char *stack = malloc(STACK_SIZE);
    if (!stack) {
        perror("floor: malloc");
        return 1;
    }
    pid_t pid = clone(child, stack + STACK_SIZE,
                      CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                          CLONE_NEWNET | SIGCHLD,
                      &a);
    if (pid < 0) {
        perror("floor: clone");
        return 1;
    }

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("floor: waitpid");
            return 1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}
