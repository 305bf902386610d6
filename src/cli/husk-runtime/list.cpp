#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_list(CLI::App& app, Invocation& inv) {
  struct Opts {
    std::string format = "table";
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("list", "list containers");
  cmd->alias("ls");
  cmd->add_option("-f,--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", o->quiet, "print only the ids");
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      auto all = HUSK_TRY(runtime::list_containers(ctx));
      if (o->quiet) {
        for (auto& s : all) std::cout << s.id << "\n";
        return 0;
      }
      if (o->format == "json") {
        auto arr = nlohmann::ordered_json::array();
        for (auto& s : all) arr.push_back(nlohmann::ordered_json::parse(spec::state_to_spec_json(s)));
        std::cout << arr.dump() << "\n";
        return 0;
      }
      std::printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (auto& s : all)
        std::printf("%-20s %-8d %-10s %-40s %-32s %s\n", s.id.c_str(),
                    s.status == spec::Status::stopped ? 0 : s.pid, spec::status_name(s.status).c_str(),
                    s.bundle.c_str(), s.created.c_str(), s.owner.empty() ? "root" : s.owner.c_str());
      return 0;
    };
  });
}

}  // namespace husk::cli
