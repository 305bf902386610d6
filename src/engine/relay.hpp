// The container monitor's relay (monitor.hpp): the loop that stays on the
// host for a running container's whole life. It holds the other ends of
// the container's stdio, writes its output to the json-file log, serves
// attach clients on containers/ID/attach.sock (SOCK_SEQPACKET, one message
// a packet, its first byte its kind) and reaps the container's init.
// It runs in husk-monitor, a small program of its own that links this
// file, the log writer and base only, so that what stays costs little.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"

namespace husk::engine {

namespace attach_msg {
// Client to monitor.
inline constexpr char hello = 'h';        // flags (1: stdin, 2: stdin_once), rows, cols (u16 each)
inline constexpr char stdin_data = 'i';   // bytes for the container's stdin
inline constexpr char stdin_close = 'c';  // our input ended (closes the container's with stdin_once)
inline constexpr char resize = 'w';       // rows, cols
// Monitor to client.
inline constexpr char stdout_data = '1';
inline constexpr char stderr_data = '2';
inline constexpr char exit = 'x';  // the exit code (int32), once recorded
}  // namespace attach_msg
inline constexpr size_t kAttachChunk = 16384;  // payload bytes a packet carries at most
inline constexpr std::string_view kAttachSocket = "attach.sock";

// A packet of KIND with PAYLOAD; an error (EPIPE...) when the peer is gone.
Result<void> send_packet(int sock, char kind, std::string_view payload);
void set_nonblocking(int fd);

// What the monitor holds of the container's stdio.
struct Stdio {
  bool tty = false;
  UniqueFd master;        // tty: both directions
  UniqueFd out, err, in;  // otherwise: pipes (in only with -i)
  int output(int stream) const { return tty ? (stream == 0 ? master.get() : -1) : (stream == 0 ? out : err).get(); }
  int input() const { return tty ? master.get() : in.get(); }
};

struct AttachClient {
  UniqueFd fd;
  bool stdin_ = false;
  bool stdin_once = false;
};

// Tells each client still there the container's exit CODE.
void send_exit_code(const std::vector<AttachClient>& clients, int code);

// A new client, by its hello (sent right after it connects): what it
// attaches and its window size. None when it does not say hello in time.
std::optional<AttachClient> accept_client(int listener, const Stdio& io);

// The container's life from its start to its end: its output to the log
// (LOG_FD, -1: none) and the clients, their input to it, until its init
// PID exits (PIDFD polls it); its exit code as docker's. CLIENTS: those
// attached before, then those still attached at the end.
int relay_container(Stdio& io, int log_fd, int listener, std::vector<AttachClient>& clients, pid_t pid,
                    int pidfd);

// What a monitor hands husk-monitor (on its command line): the store, the
// container, and the descriptors it inherits (-1: none).
struct RelayHandoff {
  std::string root, run_root, id;
  bool tty = false;
  pid_t pid = -1;
  int pidfd = -1, listener = -1, log = -1, recorder = -1;
  int master = -1, out = -1, err = -1, in = -1;
  std::vector<std::pair<int, int>> clients;  // fd, flags (1: stdin, 2: stdin_once)
  int code = 0;                              // at the end: the container's exit code
};
std::vector<std::string> encode_handoff(const RelayHandoff& h);
std::optional<RelayHandoff> decode_handoff(int argc, char** argv);  // ARGV as encoded, after argv[0]
// The attach clients HANDOFF names, owned from now on; and CLIENTS (those
// still connected) named in HANDOFF, with what each attaches.
std::vector<AttachClient> take_handoff_clients(const RelayHandoff& h);
void add_handoff_clients(RelayHandoff& h, const std::vector<AttachClient>& clients);
// The descriptors HANDOFF names; INHERIT: kept across exec, else not.
void inherit_handoff_fds(const RelayHandoff& h, bool inherit);

// argv[1] of husk-monitor (relay HANDOFF's container), and of husk when
// husk-monitor hands it the end to record.
inline constexpr std::string_view kRelayArg = "--relay";
inline constexpr std::string_view kRecordEndArg = "--record-end";
// Execs PROGRAM as "husk-monitor MARK HANDOFF..." with HANDOFF's
// descriptors inherited; returns only when it could not.
void exec_handoff(const std::string& program, std::string_view mark, const RelayHandoff& h);

}  // namespace husk::engine
