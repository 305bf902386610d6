#include "runtime/exec.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "linux/self_exe.hpp"
#include "spec/capabilities.hpp"

namespace husk::cli {
namespace {

struct ExecFlags {
  runtime::ExecOptions exec;
  std::string process_file, cwd, user, apparmor, process_label;
  std::vector<std::string> env, caps, gids;
  bool tty = false, no_new_privs = false;
};

// runc's rule: --process replaces everything; otherwise the container's own
// process is the base and the flags override it.
Result<spec::Process> build_process(const runtime::Context& ctx, const ExecFlags& f,
                                    const std::vector<std::string>& args) {
  if (!f.process_file.empty()) {
    auto text = HUSK_TRY(read_file(f.process_file));
    return HUSK_TRY_CTX(spec::parse_process(text), f.process_file);
  }
  if (args.empty()) return fail_code(EINVAL, "exec: a command to run is required");
  spec::Process p = HUSK_TRY(runtime::container_process(ctx, f.exec.id));
  p.args = args;
  p.terminal = f.tty;
  p.console_size.reset();
  if (!f.cwd.empty()) p.cwd = f.cwd;
  for (auto& e : f.env) {
    auto key = e.substr(0, e.find('='));
    std::erase_if(p.env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
    p.env.push_back(e);
  }
  if (!f.user.empty()) {
    auto parts = split(f.user, ':');
    auto uid = parse_u64(parts[0]);
    if (!uid || parts.size() > 2)
      return fail_code(EINVAL, "--user must be UID[:GID], got \"" + f.user + "\"");
    p.user.uid = static_cast<uint32_t>(*uid);
    if (parts.size() == 2) {
      auto gid = parse_u64(parts[1]);
      if (!gid) return fail_code(EINVAL, "--user must be UID[:GID], got \"" + f.user + "\"");
      p.user.gid = static_cast<uint32_t>(*gid);
    }
  }
  for (auto& g : f.gids) {
    auto v = parse_u64(g);
    if (!v) return fail_code(EINVAL, "--additional-gids: \"" + g + "\" is not a gid");
    p.user.additional_gids.push_back(static_cast<uint32_t>(*v));
  }
  for (auto& c : f.caps) {
    auto cap = spec::capability_from_name(c);
    if (!cap) return fail_code(EINVAL, "unknown capability \"" + c + "\"");
    if (!p.capabilities) p.capabilities.emplace();
    for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted})
      set->push_back(*cap);
  }
  if (f.no_new_privs) p.no_new_privileges = true;
  if (!f.apparmor.empty()) p.apparmor_profile = f.apparmor;
  if (!f.process_label.empty()) p.selinux_label = f.process_label;
  return p;
}

}  // namespace

void add_exec(CLI::App& app, Invocation& inv) {
  auto f = std::make_shared<ExecFlags>();
  auto* cmd = app.add_subcommand("exec", "run a new process inside a running container");
  cmd->add_option("--console-socket", f->exec.console_socket, "unix socket that receives the pty master");
  cmd->add_option("--cwd", f->cwd, "working directory in the container");
  cmd->add_option("-e,--env", f->env, "set an environment variable (KEY=VALUE)")->allow_extra_args(false);
  cmd->add_flag("-t,--tty", f->tty, "allocate a pseudo-terminal");
  cmd->add_option("-u,--user", f->user, "UID[:GID] to run as");
  cmd->add_option("-g,--additional-gids", f->gids, "additional gids")->allow_extra_args(false);
  cmd->add_option("-p,--process", f->process_file, "process.json describing the process");
  cmd->add_flag("-d,--detach", f->exec.detach, "do not wait for the process");
  cmd->add_option("--pid-file", f->exec.pid_file, "write the process's pid to this file");
  cmd->add_option("-c,--cap", f->caps, "add a capability")->allow_extra_args(false);
  cmd->add_flag("--no-new-privs", f->no_new_privs, "set no_new_privs");
  cmd->add_flag("--ignore-paused", f->exec.ignore_paused,
                "join a paused container (the process stays frozen until resume)");
  cmd->add_option("--apparmor", f->apparmor, "the AppArmor profile for the process");
  cmd->add_option("--process-label", f->process_label, "the SELinux label for the process");
  cmd->add_option("--cgroup", f->exec.sub_cgroups,
                  "run it in this existing sub-cgroup of the container's: [CONTROLLER[,CONTROLLER]:]PATH")
      ->allow_extra_args(false);
  cmd->add_option("--preserve-fds", f->exec.preserve_fds, "pass N extra fds (from 3)")
      ->check(CLI::NonNegativeNumber);
  // ID then the command, whose own flags must not be parsed as ours.
  cmd->prefix_command();
  cmd->callback([f, cmd, &inv] {
    // runc's: a failed exec exits 255, apart from the exit code of a process.
    inv.failure_code = 255;
    auto rest = cmd->remaining();
    inv.action = [f, rest](const runtime::Context& ctx) -> Result<int> {
      if (rest.empty()) return fail_code(EINVAL, "exec: a container id is required");
      // Any re-exec onto a protected copy of our binary comes before the
      // process file is read: `-p /dev/fd/N` (a pipe) can be read only once.
      HUSK_TRY(linux::ensure_protected_self_exe());
      f->exec.id = rest[0];
      std::vector<std::string> args(rest.begin() + 1, rest.end());
      if (!args.empty() && args[0] == "--") args.erase(args.begin());
      f->exec.process = HUSK_TRY(build_process(ctx, *f, args));
      return runtime::exec_in_container(ctx, f->exec);
    };
  });
}

}  // namespace husk::cli
