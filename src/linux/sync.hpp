// The typed channel between the runtime (parent) and the container's init
// (child): each side waits for the exact message it expects next; an error
// from the other side arrives as {errno, message} and becomes the caller's error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/fd.hpp"

namespace husk::linux {

enum class SyncMsg : uint32_t {
  go = 1,        // parent -> child: ids mapped; start setting up
  cgroup_made,   // parent -> child: your cgroup's directories exist
  cgroup_ready,  // parent -> child: its limits are set; join it
  create_hooks,  // child -> parent: namespaces and mounts ready; run prestart/createRuntime
  hooks_done,    // parent -> child: hooks ran
  ready,         // child -> parent: set up, waiting for `start`
  error,         // either way: {errno, message}
  seccomp_listener,  // child -> parent: the seccomp listener's fd follows (SCM_RIGHTS)
};
std::string sync_msg_name(SyncMsg m);

struct SyncMessage {
  SyncMsg type;
  int32_t value = 0;  // errno for error
  std::string text;
  ErrorKind kind = ErrorKind::failed;  // for error

  // An error message as the peer's Error: its full text, errno and kind.
  Error error() const { return Error(value, text, false, kind); }
};

class SyncChannel {
 public:
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}
  // A connected pair (SOCK_SEQPACKET, close-on-exec).
  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();

  Result<void> send(SyncMsg type, int32_t value = 0, const std::string& text = {},
                    ErrorKind kind = ErrorKind::failed) const;
  // The full text travels; the errno and kind ride along to classify it.
  Result<void> send_error(const Error& e) const { return send(SyncMsg::error, e.err(), e.what(), e.kind()); }
  // Waits for TYPE. An error message from the peer is returned as that Error;
  // end of stream means the peer died before sending it.
  Result<SyncMessage> expect(SyncMsg type) const;
  Result<SyncMessage> receive() const;

  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

// SCM_RIGHTS: pass a descriptor over a unix socket, with PAYLOAD (a name,
// a document) as the message's data.
Result<void> send_fd(int sock, int fd, std::string_view payload);
Result<UniqueFd> receive_fd(int sock);

}  // namespace husk::linux
