#include "linux/sync.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace husk::linux {
namespace {
struct Header {
  uint32_t type;
  int32_t value;
  uint32_t kind;
};
constexpr size_t kMaxText = 16 * 1024;
}  // namespace

std::string sync_msg_name(SyncMsg m) {
  switch (m) {
    case SyncMsg::cgroup_made:
      return "cgroup-made";
    case SyncMsg::cgroup_ready:
      return "cgroup-ready";
    case SyncMsg::go:
      return "go";
    case SyncMsg::create_hooks:
      return "create-hooks";
    case SyncMsg::hooks_done:
      return "hooks-done";
    case SyncMsg::ready:
      return "ready";
    case SyncMsg::error:
      return "error";
    case SyncMsg::seccomp_listener:
      return "seccomp-listener";
  }
  return "unknown";
}

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return fail_errno("socketpair for the init sync channel");
  return std::pair{SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1]))};
}

Result<void> SyncChannel::send(SyncMsg type, int32_t value, const std::string& text, ErrorKind kind) const {
  Header h{static_cast<uint32_t>(type), value, static_cast<uint32_t>(kind)};
  size_t len = std::min(text.size(), kMaxText);
  struct iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(text.data()), len}};
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = len ? 2 : 1;
  ssize_t n;
  do {
    n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    // A peer that died of an error said why before it went: that is the
    // error worth reporting, not our broken pipe.
    if (err == EPIPE || err == ECONNRESET)
      if (auto last = receive(); last && last->type == SyncMsg::error) return fail(last->error());
    return fail(Error(err, "send " + sync_msg_name(type) + " on the sync channel"));
  }
  return {};
}

Result<SyncMessage> SyncChannel::receive() const {
  char buf[sizeof(Header) + kMaxText];
  ssize_t n;
  bool reset_seen = false;
  for (;;) {
    n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    // A peer that exits with our messages unread resets the connection,
    // and the kernel reports that (once) ahead of what the peer sent before
    // it went, such as the error that made it exit: read on for that.
    if (errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    return fail_errno("receive on the sync channel");
  }
  if (n == 0) return fail_code(EPIPE, "the other side of the sync channel went away");
  if (static_cast<size_t>(n) < sizeof(Header)) return fail_code(EPROTO, "short sync message");
  Header h;
  std::memcpy(&h, buf, sizeof h);
  return SyncMessage{static_cast<SyncMsg>(h.type), h.value,
                     std::string(buf + sizeof h, static_cast<size_t>(n) - sizeof h), static_cast<ErrorKind>(h.kind)};
}

Result<SyncMessage> SyncChannel::expect(SyncMsg type) const {
  auto m = receive();
  if (!m) {
    if (m.error().err() == EPIPE)
      return fail_code(EPIPE, "container init exited before \"" + sync_msg_name(type) + "\"");
    return fail(std::move(m).error());
  }
  if (m->type == SyncMsg::error) return fail(m->error());
  if (m->type != type)
    return fail_code(
        EPROTO, "sync: expected \"" + sync_msg_name(type) + "\", got \"" + sync_msg_name(m->type) + "\"");
  return m;
}

Result<void> send_fd(int sock, int fd, std::string_view payload) {
  // A message needs at least a byte to carry the descriptor.
  if (payload.empty()) payload = std::string_view("\0", 1);
  struct iovec iov = {const_cast<char*>(payload.data()), payload.size()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("send descriptor over unix socket");
  // A stream socket may take a long payload in parts; the fd went with the first.
  for (size_t sent = static_cast<size_t>(n); sent < payload.size(); sent += static_cast<size_t>(n)) {
    n = ::send(sock, payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) n = 0;
    if (n < 0) return fail_errno("send over unix socket");
  }
  return {};
}

Result<UniqueFd> receive_fd(int sock) {
  char data[256];
  struct iovec iov = {data, sizeof data};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("receive descriptor");
  for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return UniqueFd(fd);
    }
  }
  return fail_code(EPROTO, "no descriptor in message");
}

}  // namespace husk::linux
