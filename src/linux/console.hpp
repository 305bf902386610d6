// Terminals: the pty a container gets when process.terminal is true. The init
// opens it in the container's own devpts and hands the master out over the
// console socket (SCM_RIGHTS), as runc does.
#pragma once

#include <optional>
#include <string>

#include "base/fd.hpp"
#include "spec/config.hpp"

namespace husk::linux {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;
};

Result<UniqueFd> connect_unix_socket(const std::string& path);

// Where a new process sends its pty master: the console socket we were given
// (to_process), or, with none, one end of our own pair whose other end
// (to_runtime) receives it for a foreground runtime to proxy.
struct ConsoleChannel {
  UniqueFd to_process;
  UniqueFd to_runtime;
};
Result<ConsoleChannel> open_console_channel(const std::string& console_socket);
// Opens /dev/ptmx of the current root; sizes it when SIZE is given.
Result<Pty> open_pty(const std::optional<spec::ConsoleSize>& size);
// No "\n" -> "\r\n" on the pty's output: what runc does to a pty it
// proxies itself (foreground, no console socket), whose reader is a terminal
// in raw mode. A console socket's peer decides for itself, as with runc.
Result<void> clear_onlcr(int master);
// Makes SLAVE the controlling terminal and stdin/stdout/stderr. Needs setsid first.
Result<void> become_terminal_user(int slave);

// Our terminal in raw mode for as long as a foreground container has the
// pty; restored on destruction. A no-op when stdin is not a terminal.
class RawTerminal {
 public:
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  bool active_ = false;
  unsigned char saved_[128];
};

// Window size of FROM's terminal onto TO (a pty master).
void copy_window_size(int from, int to);
// Copies what is readable now from FROM to TO: the bytes copied, 0 at end
// of input.
Result<size_t> pump(int from, int to);

}  // namespace husk::linux
