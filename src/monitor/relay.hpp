// The container monitor's relay: the loop that stays on the host for a
// running container's whole life (engine/launcher.hpp hands it the
// container once it runs). It holds the other ends of
// the container's stdio, writes its output to the json-file log, serves
// attach clients on containers/ID/attach.sock (SOCK_SEQPACKET, one message
// a packet, its first byte its kind) and reaps the container's init.
// It runs in husk-monitor, a small program of its own that links this
// file, the log writer and base only, so that what stays costs little.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"
#include "monitor/log_writer.hpp"

namespace husk::monitor {

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

// A container's healthcheck as its relay drives it: ARGV (husk's
// `healthcheck run ID`, which runs the test and records the result) in a
// child of the relay's, INTERVAL_MS after the container started and then
// INTERVAL_MS after each run ended. One at a time.
struct HealthProbe {
  int64_t interval_ms = 0;  // 0: no healthcheck
  std::vector<std::string> argv;
};
// husk beside us, run as `husk --root ROOT --runroot RUN_ROOT healthcheck run ID`.
HealthProbe health_probe(const std::string& root, const std::string& run_root, const std::string& id,
                         int64_t interval_ms);

// The container's life from its start to its end: its output to the log
// (LOG_FD, -1: none) and the clients, their input to it, until its init
// PID exits (PIDFD polls it); its exit code as docker's. CLIENTS: those
// attached before, then those still attached at the end.
// ROTATION: the log's (log_writer.hpp); PROBE: its healthcheck's.
int relay_container(Stdio& io, int log_fd, int listener, std::vector<AttachClient>& clients, pid_t pid,
                    int pidfd, const LogRotation& rotation = {}, const HealthProbe& probe = {});
// The same while at least one of CLIENTS (or of those who attach
// meanwhile) stays: none when the last one has left and the container runs
// on, its output then still in its pipes or pty for the next relay.
std::optional<int> relay_while_attached(Stdio& io, int log_fd, int listener,
                                        std::vector<AttachClient>& clients, pid_t pid, int pidfd,
                                        const LogRotation& rotation = {}, const HealthProbe& probe = {});

// What a program hands the next one across exec (on its command line): the
// store, the container, and the numbers of the descriptors it inherits (-1:
// none). The numbers are borrowed: the sender's owners keep them until the
// exec, and the receiver takes them into owners at once (receive_handoff).
struct RelayHandoff {
  std::string root, run_root, id;
  bool tty = false;
  pid_t pid = -1;
  int pidfd = -1, listener = -1, log = -1, recorder = -1;
  int master = -1, out = -1, err = -1, in = -1;
  std::vector<std::pair<int, int>> clients;  // fd, flags (1: stdin, 2: stdin_once)
  int code = 0;                              // at the end: the container's exit code
  LogRotation log_rotation;                  // the log's at LOG
  int64_t health_interval_ms = 0;            // its healthcheck's (0: none)
};
std::vector<std::string> encode_handoff(const RelayHandoff& h);
// CLIENTS (those still connected) named in HANDOFF, with what each attaches.
void add_handoff_clients(RelayHandoff& h, const std::vector<AttachClient>& clients);

// A handoff as its receiver holds it: every descriptor in an owner, and
// close-on-exec again (a later exec hands on only what it names).
struct ReceivedHandoff {
  std::string root, run_root, id;
  pid_t pid = -1;
  int code = 0;
  UniqueFd pidfd, listener, log, recorder;
  LogRotation log_rotation;
  int64_t health_interval_ms = 0;
  Stdio io;
  std::vector<AttachClient> clients;
};
// ARGV as encoded, after argv[0]; none when it is not a handoff.
std::optional<ReceivedHandoff> receive_handoff(int argc, char** argv);

// argv[1] of husk-monitor (relay HANDOFF's container), and of husk when
// husk-monitor hands it the end to record.
inline constexpr std::string_view kRelayArg = "--relay";
inline constexpr std::string_view kRecordEndArg = "--record-end";
// Execs PROGRAM as "husk-monitor MARK HANDOFF..." with HANDOFF's
// descriptors inherited; returns only when it could not.
void exec_handoff(const std::string& program, std::string_view mark, const RelayHandoff& h);

}  // namespace husk::monitor
