// husk: the container commands in a static binary of their own (see
// CMakeLists.txt: no dynamic loader, no libcurl or libarchive, so a run
// starts fast and a container's monitor stays small). Any other command,
// and an image a run lacks, go to husk-full beside it.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "cli/husk/commands.hpp"
#include "engine/image_choice.hpp"
#include "engine/launcher.hpp"
#include "image/reference.hpp"

namespace {

using namespace husk;

std::string full_binary() {
  auto self = installed_exe();
  std::string path = self ? *self : std::string("/usr/local/bin/husk");
  return path.substr(0, path.rfind('/') + 1) + "husk-full";
}

// The subcommand ARGV names (past the global flags), or "".
std::string subcommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--root" || a == "--runroot" || a == "--config") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    return a;
  }
  return "";
}

bool is_container_command(const std::string& name) {
  // A list, not a probe CLI: building every command's options costs half a
  // millisecond of each run. It names add_container_commands' set; one
  // missing here would still work (husk-full has every command), slower.
  static constexpr const char* kCommands[] = {
      "run",    "create", "start",   "restart", "stop", "kill",      "wait",   "rm",
      "rename", "pause",  "unpause", "ps",      "logs", "update",    "volume", "inspect",
      "exec",   "top",    "stats",   "cp",      "port", "container", "attach", "healthcheck"};
  for (auto* c : kCommands)
    if (name == c) return true;
  return false;
}

// husk-full ARGS, waited for. What it says goes to our stderr as it comes
// (a run's stdout is the container's), but its last line is held back: when
// it fails, that line (its error) becomes our error, so the user reads one
// message, not two. QUIET: its stdout goes nowhere.
Result<void> run_full(const std::vector<std::string>& args, bool quiet) {
  std::string full = full_binary();
  std::vector<char*> argv{const_cast<char*>(full.c_str())};
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto pipefd = HUSK_TRY(make_pipe("pipe"));
  UniqueFd rd = std::move(pipefd.read), wr = std::move(pipefd.write);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork " + full);
  if (pid == 0) {
    int out = quiet ? ::open("/dev/null", O_WRONLY) : wr.get();
    ::dup2(out, STDOUT_FILENO);
    ::dup2(wr.get(), STDERR_FILENO);
    ::execv(full.c_str(), argv.data());
    std::fprintf(stderr, "husk: exec %s: %s\n", full.c_str(), std::strerror(errno));
    ::_exit(125);
  }
  wr.reset();
  std::string pending, last;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      if (!last.empty()) std::fprintf(stderr, "%s\n", last.c_str());
      last = pending.substr(0, nl);
    }
  }
  if (!pending.empty()) {
    if (!last.empty()) std::fprintf(stderr, "%s\n", last.c_str());
    last = pending;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail_errno("wait for " + full);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (!last.empty()) std::fprintf(stderr, "%s\n", last.c_str());
    return {};
  }
  if (last.starts_with("husk: ")) last.erase(0, 6);
  return fail_code(EIO, last.empty() ? full + " failed" : last);
}

// husk-full makes the default image or pulls, as the engine decided; then
// the store has it.
Result<image::StoredImage> fetch_through_full(const image::Store& store, const engine::ImageFetch& what) {
  if (what.step == engine::ImageStep::make_default) {
    HUSK_TRY(run_full({"--root", store.root(), "image", "inspect", "--format", "{{.Id}}", what.name}, true));
    return store.find_image(what.name);
  }
  auto ref = image::parse_reference(what.name);
  if (ref && what.step == engine::ImageStep::pull_missing)
    std::fprintf(stderr, "Unable to find image '%s' locally\n", ref->familiar().c_str());
  std::vector<std::string> args{"--root", store.root(), "pull"};
  if (!what.platform.empty()) args.insert(args.end(), {"--platform", what.platform});
  args.push_back(what.name);
  HUSK_TRY(run_full(args, false));
  return store.find_image(what.name);
}

}  // namespace

int main(int argc, char** argv) {
  if (husk::engine::is_record_end(argc, argv)) return husk::engine::record_end_main(argc, argv);
  std::string sub = subcommand(argc, argv);
  // cp's tar streams ("-") need libarchive: husk-full's.
  bool cp_stream = sub == "cp" && std::find_if(argv + 1, argv + argc, [](const char* a) {
                                    return std::string_view(a) == "-";
                                  }) != argv + argc;
  if (sub.empty() || !is_container_command(sub) || cp_stream) {
    std::string full = full_binary();
    argv[0] = const_cast<char*>(full.c_str());
    ::execv(full.c_str(), argv);
    std::fprintf(stderr, "husk: exec %s: %s\n", full.c_str(), std::strerror(errno));
    return 125;
  }
  cli::Flavor flavor;
  flavor.fetch_image = fetch_through_full;
  return cli::husk_main(argc, argv, flavor);
}
