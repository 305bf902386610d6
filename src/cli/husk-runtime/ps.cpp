#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {
namespace {

// runc's table form: `ps` run on the host (default -ef), keeping the header
// and the rows whose PID column is one of the container's.
Result<int> print_ps_table(const std::vector<int>& pids, const std::vector<std::string>& ps_args) {
  std::string cmd = "ps";
  for (auto& a : ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args) {
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += " " + q + "'";
  }
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return fail_errno("run ps");
  std::set<int> want(pids.begin(), pids.end());
  char line[4096];
  int pid_col = -1;
  bool header = true;
  while (std::fgets(line, sizeof line, f)) {
    std::vector<std::string> cols;
    for (auto& c : split(trim(line), ' '))
      if (!c.empty()) cols.push_back(c);
    if (header) {
      for (size_t i = 0; i < cols.size(); ++i)
        if (cols[i] == "PID") pid_col = static_cast<int>(i);
      std::fputs(line, stdout);
      header = false;
      if (pid_col < 0) {
        ::pclose(f);
        return fail_code(EINVAL, "ps output has no PID column");
      }
      continue;
    }
    if (static_cast<int>(cols.size()) > pid_col)
      if (auto v = parse_i64(cols[pid_col]); v && want.contains(static_cast<int>(*v)))
        std::fputs(line, stdout);
  }
  int status = ::pclose(f);
  if (status != 0) return fail_code(ECHILD, "ps failed");
  return 0;
}

}  // namespace

void add_ps(CLI::App& app, Invocation& inv) {
  struct Opts {
    std::string id;
    std::string format = "table";
    std::vector<std::string> ps_args;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("ps", "list the processes of a container");
  cmd->add_option("-f,--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("id", o->id, "container id")->required();
  // As runc: everything after ID is ps's (`ps ID -e -x`), options included.
  cmd->prefix_command();
  cmd->footer("Everything after ID is passed to ps (table format; default -ef).");
  cmd->callback([o, cmd, &inv] {
    o->ps_args = cmd->remaining();
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      auto pids = HUSK_TRY(runtime::container_pids(ctx, o->id));
      if (o->format == "json") {
        std::cout << nlohmann::json(pids).dump() << "\n";
        return 0;
      }
      return print_ps_table(pids, o->ps_args);
    };
  });
}

}  // namespace husk::cli
