#include "engine/update.hpp"

#include "base/file.hpp"
#include "engine/resources.hpp"
#include "runtime/limits.hpp"

namespace husk::engine {

namespace {

bool set_nonzero(const std::string& v) { return !v.empty() && v != "0"; }

// --cpus is a quota over docker's own period: once one way is chosen, the
// other may not change it behind its back (docker's rule). NANO_CPUS: the
// container's quota came from --cpus; else CPU is what --cpu-period and
// --cpu-quota set (config.json's).
Result<void> check_cpu_conflicts(bool nano_cpus, const spec::CpuResources& cpu, const ResourceFlags& change) {
  auto conflict = [](const std::string& what) { return fail_code(EINVAL, "Conflicting options: " + what); };
  bool period = !nano_cpus && cpu.period.value_or(0) > 0, quota = !nano_cpus && cpu.quota.value_or(0) > 0;
  if (set_nonzero(change.cpus) && period)
    return conflict("Nano CPUs cannot be updated as CPU Period has already been set");
  if (set_nonzero(change.cpus) && quota)
    return conflict("Nano CPUs cannot be updated as CPU Quota has already been set");
  if (set_nonzero(change.cpu_period) && nano_cpus)
    return conflict("CPU Period cannot be updated as NanoCPUs has already been set");
  if (set_nonzero(change.cpu_quota) && nano_cpus)
    return conflict("CPU Quota cannot be updated as NanoCPUs has already been set");
  return {};
}

// The bundle's linux.resources with UPDATE over them.
Result<spec::Resources> merged_bundle_resources(const spec::Config& config, const spec::Resources& update) {
  auto merged = spec::merge_resources(config.linux.resources.value_or(spec::Resources{}), update);
  if (merged.memory) {
    auto& m = *merged.memory;
    if (m.limit && m.swap && *m.limit > 0 && *m.swap > 0 && *m.swap < *m.limit)
      return fail_code(
          EINVAL,
          "Memory limit should be smaller than already set memoryswap limit, update the memoryswap "
          "at the same time");
  }
  return merged;
}

}  // namespace

Result<std::vector<std::string>> update_resources(const Engine& eng, const std::string& name_or_id,
                                                  const ResourceFlags& changes) {
  auto cs = eng.containers();
  auto rec = HUSK_TRY(cs.find(name_or_id));
  std::string config_path = cs.bundle_dir(rec.id) + "/config.json";
  auto config = HUSK_TRY(spec::load_config(config_path));
  spec::CpuResources cpu;
  if (config.linux.resources && config.linux.resources->cpu) cpu = *config.linux.resources->cpu;
  HUSK_TRY(check_cpu_conflicts(rec.nano_cpus, cpu, changes));
  auto limits = HUSK_TRY(resources_from_flags(changes, probe_resource_host(), ResourceMode::update));
  auto merged = HUSK_TRY(merged_bundle_resources(config, limits.resources));
  auto live = eng.live_status(rec);
  if (live == LiveStatus::running || live == LiveStatus::paused)
    HUSK_TRY(runtime::update_container(eng.runtime_context(), rec.id, limits.resources));
  // The next start runs with them, and inspect shows them.
  HUSK_TRY(write_file_atomic(config_path, runtime::config_with_resources(std::move(config), merged), 0644));
  if (!set_nonzero(changes.cpus) || rec.nano_cpus) return limits.warnings;
  // The record as it is now (its monitor may have written it meanwhile).
  auto now = HUSK_TRY(cs.find(rec.id));
  now.nano_cpus = true;
  HUSK_TRY(cs.save(now));
  return limits.warnings;
}

}  // namespace husk::engine
