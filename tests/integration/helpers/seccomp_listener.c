// A seccomp agent for tests/integration/runtime_seccomp.bats, run on the host:
//   seccomp_listener SOCKET OUTDIR ERRNO
// Listens on the unix socket SOCKET; for the K-th runtime connection (1, 2,
// ...: create, then each exec) it takes the container process state JSON
// and the fds in its SCM_RIGHTS, and writes
//   OUTDIR/state.K.json  the JSON as received
//   OUTDIR/fds.K         how many fds came, and what /proc/self/fd/N links to
// then answers every notification on that fd: ERRNO 0 makes the call look
// successful (without running it), any other value fails it with that errno.
// Each answer is logged to OUTDIR/log.K ("nr=N pid=P"). A connection's
// handler exits when its filter's last process is gone; the listener runs
// until killed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void write_file(const char *dir, const char *name, const char *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.tmp", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fwrite(data, 1, len, f);
  fclose(f);
  char final[4096];
  snprintf(final, sizeof final, "%s/%s", dir, name);
  rename(path, final);  // the test polls for the name: it appears whole
}

// Reads the JSON to end of stream; the fds come with the first part.
static int receive(int conn, char *json, size_t cap, int *fds, int *nfds) {
  size_t len = 0;
  *nfds = 0;
  for (;;) {
    char control[CMSG_SPACE(4 * sizeof(int))];
    struct iovec iov = {json + len, cap - 1 - len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return -1;
    if (n == 0) break;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
      *nfds += k;
    }
    len += (size_t)n;
    if (len >= cap - 1) break;
  }
  json[len] = 0;
  return (int)len;
}

static void answer(int fd, int err, const char *outdir, int k) {
  FILE *log = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/log.%d", outdir, k);
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 60000) <= 0 || (p.revents & (POLLHUP | POLLERR))) return;
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // ENOENT: the caller died meanwhile
      return;
    }
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.error = err ? -err : 0;
    resp.val = 0;
    if (!log) log = fopen(path, "a");
    if (log) {
      fprintf(log, "nr=%d pid=%u\n", req.data.nr, req.pid);
      fflush(log);
    }
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

static void handle(int conn, const char *outdir, int k, int err) {
  static char json[65536];
  int fds[4], nfds;
  int len = receive(conn, json, sizeof json, fds, &nfds);
  close(conn);
  if (len < 0) return;
  char name[64];
  snprintf(name, sizeof name, "state.%d.json", k);
  write_file(outdir, name, json, (size_t)len);
  char desc[4096] = "", link[256];
  int off = snprintf(desc, sizeof desc, "%d\n", nfds);
  for (int i = 0; i < nfds; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fds[i]);
    ssize_t n = readlink(p, link, sizeof link - 1);
    link[n < 0 ? 0 : n] = 0;
    off += snprintf(desc + off, sizeof desc - off, "%s\n", link);
  }
  snprintf(name, sizeof name, "fds.%d", k);
  write_file(outdir, name, desc, (size_t)off);
  if (nfds == 1) answer(fds[0], err, outdir, k);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: seccomp_listener SOCKET OUTDIR ERRNO\n");
    return 2;
  }
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  unlink(argv[1]);
  if (bind(srv, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(srv, 1) < 0) {
    perror("listen");
    return 1;
  }
  write_file(argv[2], "listening", "", 0);
  for (int k = 1;; k++) {
    int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return 1;
    if (fork() == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // the test kills the listener: its handlers go with it
      close(srv);
      handle(conn, argv[2], k, atoi(argv[3]));
      _exit(0);
    }
    close(conn);
  }
}
