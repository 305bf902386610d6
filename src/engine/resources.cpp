// Placeholder until the resource flags land: any of them is refused.
#include <nlohmann/json.hpp>

#include "engine/spec.hpp"

namespace husk::engine {

Result<void> apply_resources(const RunFlags& f, nlohmann::ordered_json&) {
  bool any = !f.cpus.empty() || !f.cpu_period.empty() || !f.cpu_quota.empty() || !f.cpu_shares.empty() ||
             !f.cpuset_cpus.empty() || !f.cpuset_mems.empty() || !f.memory.empty() || !f.memory_swap.empty() ||
             !f.memory_reservation.empty() || !f.pids_limit.empty() || !f.blkio_weight.empty() ||
             !f.device_read_bps.empty() || !f.device_write_bps.empty() || !f.device_read_iops.empty() ||
             !f.device_write_iops.empty() || f.oom_kill_disable;
  if (any) return fail_code(ENOTSUP, "resource flags are not supported yet");
  return {};
}

}  // namespace husk::engine
