#include <unistd.h>

#include <iostream>
#include <iterator>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "runtime/limits.hpp"

namespace husk::cli {

namespace {

struct UpdateOpts {
  std::string id;
  std::string resources;  // FILE, or "-" for stdin
  std::string memory, memory_reservation, memory_swap, kernel_memory, kernel_memory_tcp;
  std::optional<uint64_t> cpu_shares, cpu_period, cpu_rt_period;
  std::optional<int64_t> cpu_quota, cpu_rt_runtime, pids_limit;
  std::optional<uint16_t> blkio_weight;
  std::string cpuset_cpus, cpuset_mems;
};

// runc's rule: "-1" is unlimited, anything else a docker size ("100m").
Result<std::optional<int64_t>> memory_flag(const std::string& value, const char* flag) {
  if (value.empty()) return std::optional<int64_t>();
  if (value == "-1") return std::optional<int64_t>(-1);
  auto v = parse_ram_bytes(value);
  if (!v) return fail_code(EINVAL, std::string("invalid value for --") + flag + ": \"" + value + "\"");
  return std::optional<int64_t>(*v);
}

Result<spec::Resources> resources_from(const UpdateOpts& o) {
  spec::Resources r;
  if (!o.resources.empty()) {
    std::string text;
    if (o.resources == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      text = HUSK_TRY(read_file(o.resources));
    }
    r = HUSK_TRY_CTX(spec::parse_resources(text), "--resources " + o.resources);
  }
  // Flags override what the file says.
  spec::Resources flags;
  spec::MemoryResources m;
  m.limit = HUSK_TRY(memory_flag(o.memory, "memory"));
  m.reservation = HUSK_TRY(memory_flag(o.memory_reservation, "memory-reservation"));
  m.swap = HUSK_TRY(memory_flag(o.memory_swap, "memory-swap"));
  m.kernel = HUSK_TRY(memory_flag(o.kernel_memory, "kernel-memory"));
  m.kernel_tcp = HUSK_TRY(memory_flag(o.kernel_memory_tcp, "kernel-memory-tcp"));
  if (m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp) flags.memory = m;
  spec::CpuResources c;
  c.shares = o.cpu_shares;
  c.period = o.cpu_period;
  c.quota = o.cpu_quota;
  c.realtime_period = o.cpu_rt_period;
  c.realtime_runtime = o.cpu_rt_runtime;
  c.cpus = o.cpuset_cpus;
  c.mems = o.cpuset_mems;
  if (c.shares || c.period || c.quota || c.realtime_period || c.realtime_runtime || !c.cpus.empty() ||
      !c.mems.empty())
    flags.cpu = c;
  if (o.pids_limit) flags.pids = spec::PidsResources{*o.pids_limit};
  if (o.blkio_weight) {
    flags.block_io.emplace();
    flags.block_io->weight = o.blkio_weight;
  }
  // The same checks as a config.json's: through the JSON model once more.
  HUSK_TRY(spec::parse_resources(spec::resources_to_json(flags)));
  return spec::merge_resources(std::move(r), flags);
}

}  // namespace

void add_update(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<UpdateOpts>();
  auto* cmd = app.add_subcommand("update", "change the resource limits of a running container");
  cmd->add_option("-r,--resources", o->resources, "a LinuxResources JSON file, or - for stdin");
  cmd->add_option("--memory", o->memory, "memory limit (bytes, or 100m, 1g; -1 for none)");
  cmd->add_option("--memory-reservation", o->memory_reservation, "memory soft limit");
  cmd->add_option("--memory-swap", o->memory_swap, "memory+swap limit (-1 for none)");
  cmd->add_option("--kernel-memory", o->kernel_memory, "ignored: kernels have no kernel memory limit");
  cmd->add_option("--kernel-memory-tcp", o->kernel_memory_tcp,
                  "ignored: kernels have no kernel memory limit");
  cmd->add_option("--cpu-share,--cpu-shares", o->cpu_shares, "relative cpu weight (cpu.shares)");
  cmd->add_option("--cpu-period", o->cpu_period, "CFS period in microseconds");
  cmd->add_option("--cpu-quota", o->cpu_quota, "CFS quota in microseconds per period (-1 for none)");
  cmd->add_option("--cpu-rt-period", o->cpu_rt_period, "realtime period in microseconds");
  cmd->add_option("--cpu-rt-runtime", o->cpu_rt_runtime, "realtime runtime in microseconds");
  cmd->add_option("--cpuset-cpus", o->cpuset_cpus, "CPUs to run on (0-3, 0,1)");
  cmd->add_option("--cpuset-mems", o->cpuset_mems, "memory nodes to use (0-3, 0,1)");
  cmd->add_option("--pids-limit", o->pids_limit, "maximum number of processes (-1 for none)");
  cmd->add_option("--blkio-weight", o->blkio_weight, "block IO weight, 10 to 1000");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      auto r = HUSK_TRY(resources_from(*o));
      HUSK_TRY(runtime::update_container(ctx, o->id, r));
      return 0;
    };
  });
}

}  // namespace husk::cli
