#include "cgroups/resources.hpp"

namespace husk::cgroups {

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + ((weight - 10) * 9999) / 990;
}

Result<int64_t> swap_to_v2(int64_t swap, int64_t memory_limit) {
  // Unlimited memory and no word on swap: both unlimited, as on v1.
  if (memory_limit == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;
  if (memory_limit == 0 || memory_limit == -1)
    return fail_code(EINVAL, "memory.swap: a swap limit needs a memory limit");
  if (swap < memory_limit)
    return fail_code(EINVAL, "memory.swap (memory+swap) must not be below memory.limit");
  return swap - memory_limit;
}

std::vector<spec::DeviceRule> effective_device_rules(const std::vector<spec::DeviceRule>& rules,
                                                     const std::vector<spec::DeviceRule>& created_devices) {
  std::vector<spec::DeviceRule> out = rules;
  auto allow = [&](char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                   const char* access) {
    out.push_back({true, type, major, minor, access});
  };
  allow('c', std::nullopt, std::nullopt,
        "m");  // mknod of any char or block device; opening is another matter
  allow('b', std::nullopt, std::nullopt, "m");
  allow('c', 1, 3, "rwm");               // null
  allow('c', 1, 8, "rwm");               // random
  allow('c', 1, 7, "rwm");               // full
  allow('c', 5, 0, "rwm");               // tty
  allow('c', 1, 5, "rwm");               // zero
  allow('c', 1, 9, "rwm");               // urandom
  allow('c', 5, 1, "rwm");               // console
  allow('c', 136, std::nullopt, "rwm");  // pts/*
  allow('c', 5, 2, "rwm");               // ptmx
  allow('c', 10, 200, "rwm");            // net/tun, which runc 1.1 allows too
  for (auto& d : created_devices) out.push_back(d);
  return out;
}

std::string device_rule_v1(const spec::DeviceRule& r) {
  auto num = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("*"); };
  if (r.type == 'a') return "a";  // v1 takes "a" alone for "every device, every access"
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

namespace {

struct Planner {
  const Controllers& host;
  Plan plan;

  void w1(const std::string& ctrl, std::string file, std::string value) {
    plan.writes.push_back({false, ctrl, std::move(file), std::move(value), "", ""});
  }
  void w2(const std::string& ctrl, std::string file, std::string value) {
    plan.writes.push_back({true, ctrl, std::move(file), std::move(value), "", ""});
  }
  // Which version drives CONTROLLER (v1 name, v2 name); an error when neither.
  Result<bool> use_v2(const std::string& v1_name, const std::string& v2_name, const std::string& what) {
    if (host.in_v1(v1_name)) return false;
    if (!v2_name.empty() && host.in_v2(v2_name)) return true;
    return fail_code(ENOTSUP, what + ": this host has no " + v1_name + " cgroup controller" +
                                  (v2_name.empty() || v2_name == v1_name ? "" : " (v2: " + v2_name + ")"));
  }
  static std::string num(int64_t v) { return std::to_string(v); }
  // Given, and not 0.
  template <typename T>
  static bool set(const std::optional<T>& v) {
    return v && *v != 0;
  }
  static std::string unum(uint64_t v) { return std::to_string(v); }

  Result<void> memory(const spec::MemoryResources& m) {
    if (m.kernel)
      plan.warnings.push_back(
          "memory.kernel is ignored: kernel memory limits are deprecated and current kernels have none "
          "(as runc)");
    // The TCP buffer limit outlived the kernel memory one in v1's memory
    // controller: written where the kernel still has the file (nothing to
    // do where it has not); cgroup v2 has no such limit.
    if (set(m.kernel_tcp)) {
      if (host.in_v1("memory"))
        plan.writes.push_back(
            {false, "memory", "memory.kmem.tcp.limit_in_bytes", num(*m.kernel_tcp), "", "", true});
      else
        plan.warnings.push_back("memory.kernelTCP is ignored: this host has no cgroup v1 memory controller");
    }
    // 0 is "not set", as runc's cgroup managers take it (dockerd's update
    // sends every field, 0 for the ones not asked for).
    bool any = set(m.limit) || set(m.reservation) || set(m.swap) || m.swappiness || m.disable_oom_killer ||
               m.use_hierarchy;
    if (!any) return {};
    bool v2 = HUSK_TRY(use_v2("memory", "memory", "linux.resources.memory"));
    if (!v2) {
      // The limit before memsw: the kernel keeps memsw >= limit, and the
      // Manager retries the pair in the other order when shrinking.
      if (set(m.limit)) w1("memory", "memory.limit_in_bytes", num(*m.limit));
      if (set(m.swap)) w1("memory", "memory.memsw.limit_in_bytes", num(*m.swap));
      if (set(m.reservation)) w1("memory", "memory.soft_limit_in_bytes", num(*m.reservation));
      if (m.swappiness) w1("memory", "memory.swappiness", unum(*m.swappiness));
      if (m.disable_oom_killer && *m.disable_oom_killer) w1("memory", "memory.oom_control", "1");
      if (m.use_hierarchy)
        plan.warnings.push_back("memory.useHierarchy is ignored: kernels always account hierarchically now");
      return {};
    }
    auto bytes = [](int64_t v) { return v == -1 ? std::string("max") : std::to_string(v); };
    // "max" and "0" ask for nothing a kernel without swap accounting (and
    // so without memory.swap.max) does not already give, as runc reasons.
    auto swap_max = [&](int64_t v) {
      plan.writes.push_back({true, "memory", "memory.swap.max", bytes(v), "", "", v == -1 || v == 0});
    };
    if (set(m.swap)) {
      int64_t s = HUSK_TRY(swap_to_v2(*m.swap, m.limit.value_or(0)));
      // 0 is "leave it" unless swap was asked for and equals the limit:
      // then the container may not swap at all.
      if (s != 0 || *m.swap > 0) swap_max(s);
    } else if (m.limit && *m.limit == -1) {
      swap_max(-1);
    }
    if (set(m.limit)) w2("memory", "memory.max", bytes(*m.limit));
    if (set(m.reservation)) w2("memory", "memory.low", bytes(*m.reservation));
    if (m.swappiness) plan.warnings.push_back("memory.swappiness is ignored: cgroup v2 has no such setting");
    if (m.disable_oom_killer && *m.disable_oom_killer)
      plan.warnings.push_back("memory.disableOOMKiller is ignored: cgroup v2 cannot turn the OOM killer off");
    return {};
  }

  Result<void> cpu(const spec::CpuResources& c) {
    bool cpu_any = set(c.shares) || set(c.quota) || set(c.period) || c.burst || set(c.realtime_runtime) ||
                   set(c.realtime_period) || c.idle;
    if (cpu_any) {
      bool v2 = HUSK_TRY(use_v2("cpu", "cpu", "linux.resources.cpu"));
      if (!v2) {
        if (set(c.shares)) w1("cpu", "cpu.shares", unum(*c.shares));
        // The period first: a quota is checked against the current period.
        if (set(c.period)) w1("cpu", "cpu.cfs_period_us", unum(*c.period));
        if (set(c.quota)) w1("cpu", "cpu.cfs_quota_us", num(*c.quota));
        if (c.burst) w1("cpu", "cpu.cfs_burst_us", unum(*c.burst));
        if (set(c.realtime_period)) w1("cpu", "cpu.rt_period_us", unum(*c.realtime_period));
        if (set(c.realtime_runtime)) w1("cpu", "cpu.rt_runtime_us", num(*c.realtime_runtime));
        if (c.idle) w1("cpu", "cpu.idle", num(*c.idle));
      } else {
        if (set(c.realtime_runtime) || set(c.realtime_period))
          return fail_code(ENOTSUP,
                           "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no "
                           "realtime cpu limits");
        if (set(c.shares)) w2("cpu", "cpu.weight", unum(cpu_shares_to_weight(*c.shares)));
        if (set(c.quota) || set(c.period)) {
          // "QUOTA PERIOD"; a quota alone keeps the period, "max" lifts the quota.
          std::string v = c.quota && *c.quota > 0 ? num(*c.quota) : "max";
          if (set(c.period)) v += " " + unum(*c.period);
          w2("cpu", "cpu.max", v);
        }
        if (c.burst) w2("cpu", "cpu.max.burst", unum(*c.burst));
        if (c.idle) w2("cpu", "cpu.idle", num(*c.idle));
      }
    }
    if (!c.cpus.empty() || !c.mems.empty()) {
      bool v2 = HUSK_TRY(use_v2("cpuset", "cpuset", "linux.resources.cpu.cpus/mems"));
      if (!c.cpus.empty()) plan.writes.push_back({v2, "cpuset", "cpuset.cpus", c.cpus, "", ""});
      if (!c.mems.empty()) plan.writes.push_back({v2, "cpuset", "cpuset.mems", c.mems, "", ""});
    }
    return {};
  }

  Result<void> pids(const spec::PidsResources& p) {
    if (p.limit == 0) return {};
    bool v2 = HUSK_TRY(use_v2("pids", "pids", "linux.resources.pids"));
    plan.writes.push_back({v2, "pids", "pids.max", p.limit > 0 ? num(p.limit) : "max", "", ""});
    return {};
  }

  Result<void> block_io(const spec::BlockIoResources& b) {
    bool weights = (b.weight && *b.weight) || (b.leaf_weight && *b.leaf_weight) || !b.weight_devices.empty();
    bool throttles = !b.throttle_read_bps.empty() || !b.throttle_write_bps.empty() ||
                     !b.throttle_read_iops.empty() || !b.throttle_write_iops.empty();
    if (!weights && !throttles) return {};
    bool v2 = HUSK_TRY(use_v2("blkio", "io", "linux.resources.blockIO"));
    auto dev = [](int64_t major, int64_t minor) {
      return std::to_string(major) + ":" + std::to_string(minor);
    };
    if (!v2) {
      // BFQ's files first (current kernels), CFQ's where the kernel is older.
      if (b.weight && *b.weight) {
        std::string v = unum(*b.weight);
        plan.writes.push_back({false, "blkio", "blkio.bfq.weight", v, "blkio.weight", v});
      }
      if (b.leaf_weight && *b.leaf_weight) w1("blkio", "blkio.leaf_weight", unum(*b.leaf_weight));
      for (auto& wd : b.weight_devices) {
        if (wd.weight) {
          std::string v = dev(wd.major, wd.minor) + " " + unum(*wd.weight);
          plan.writes.push_back({false, "blkio", "blkio.bfq.weight_device", v, "blkio.weight_device", v});
        }
        if (wd.leaf_weight)
          w1("blkio", "blkio.leaf_weight_device", dev(wd.major, wd.minor) + " " + unum(*wd.leaf_weight));
      }
      auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* file) {
        for (auto& t : list) w1("blkio", file, dev(t.major, t.minor) + " " + unum(t.rate));
      };
      throttle(b.throttle_read_bps, "blkio.throttle.read_bps_device");
      throttle(b.throttle_write_bps, "blkio.throttle.write_bps_device");
      throttle(b.throttle_read_iops, "blkio.throttle.read_iops_device");
      throttle(b.throttle_write_iops, "blkio.throttle.write_iops_device");
      return {};
    }
    if (b.leaf_weight && *b.leaf_weight)
      return fail_code(ENOTSUP, "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights");
    if (b.weight && *b.weight)
      plan.writes.push_back({true, "io", "io.bfq.weight", unum(*b.weight), "io.weight",
                             unum(blkio_weight_to_io_weight(*b.weight))});
    for (auto& wd : b.weight_devices) {
      if (wd.leaf_weight)
        return fail_code(ENOTSUP,
                         "linux.resources.blockIO.weightDevice.leafWeight: cgroup v2 has no leaf weights");
      if (wd.weight)
        plan.writes.push_back({true, "io", "io.bfq.weight", dev(wd.major, wd.minor) + " " + unum(*wd.weight),
                               "io.weight",
                               dev(wd.major, wd.minor) + " " + unum(blkio_weight_to_io_weight(*wd.weight))});
    }
    // io.max takes "MAJ:MIN key=value..." lines; one line per limit keeps each
    // write simple, and the kernel merges them per device.
    auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* key) {
      for (auto& t : list)
        w2("io", "io.max",
           dev(t.major, t.minor) + " " + key + "=" + (t.rate ? unum(t.rate) : std::string("max")));
    };
    throttle(b.throttle_read_bps, "rbps");
    throttle(b.throttle_write_bps, "wbps");
    throttle(b.throttle_read_iops, "riops");
    throttle(b.throttle_write_iops, "wiops");
    return {};
  }

  Result<void> hugepages(const std::vector<spec::HugepageLimit>& limits) {
    if (limits.empty()) return {};
    bool v2 = HUSK_TRY(use_v2("hugetlb", "hugetlb", "linux.resources.hugepageLimits"));
    for (auto& l : limits) {
      if (v2)
        w2("hugetlb", "hugetlb." + l.page_size + ".max", unum(l.limit));
      else
        w1("hugetlb", "hugetlb." + l.page_size + ".limit_in_bytes", unum(l.limit));
    }
    return {};
  }

  Result<void> network(const spec::NetworkResources& n) {
    // Neither has a cgroup v2 form: v2 leaves packet classes to eBPF.
    if (n.class_id) {
      if (!host.in_v1("net_cls"))
        return fail_code(ENOTSUP,
                         "linux.resources.network.classID: this host has no net_cls cgroup controller");
      w1("net_cls", "net_cls.classid", unum(*n.class_id));
    }
    if (!n.priorities.empty()) {
      if (!host.in_v1("net_prio"))
        return fail_code(ENOTSUP,
                         "linux.resources.network.priorities: this host has no net_prio cgroup controller");
      for (auto& [iface, prio] : n.priorities) w1("net_prio", "net_prio.ifpriomap", iface + " " + unum(prio));
    }
    return {};
  }

  Result<void> rdma(const std::map<std::string, spec::RdmaLimit>& limits) {
    if (limits.empty()) return {};
    bool v2 = HUSK_TRY(use_v2("rdma", "rdma", "linux.resources.rdma"));
    for (auto& [dev, l] : limits) {
      std::string v = dev;
      if (l.hca_handles) v += " hca_handle=" + unum(*l.hca_handles);
      if (l.hca_objects) v += " hca_object=" + unum(*l.hca_objects);
      if (v == dev) continue;
      plan.writes.push_back({v2, "rdma", "rdma.max", v, "", ""});
    }
    return {};
  }

  Result<void> unified(const std::map<std::string, std::string>& files) {
    for (auto& [file, value] : files) {
      std::string ctrl = file.substr(0, file.find('.'));
      if (!host.has_unified)
        return fail_code(
            ENOTSUP, "linux.resources.unified: \"" + file + "\" needs cgroup v2, and this host has only v1");
      // cgroup.* files belong to every cgroup; others to their controller,
      // which must be in the v2 hierarchy (on a hybrid host most are v1).
      if (ctrl != "cgroup" && !host.in_v2(ctrl))
        return fail_code(ENOTSUP, "linux.resources.unified: \"" + file + "\": controller " + ctrl +
                                      " is not available in this host's cgroup v2 hierarchy");
      w2(ctrl, file, value);
    }
    return {};
  }

  void devices(const std::vector<spec::DeviceRule>& rules) {
    if (rules.empty()) return;
    if (host.in_v1("devices")) {
      for (auto& r : rules) w1("devices", r.allow ? "devices.allow" : "devices.deny", device_rule_v1(r));
      return;
    }
    if (host.has_unified) {
      plan.v2_devices = true;
      plan.device_rules = rules;
      return;
    }
    plan.warnings.push_back(
        "device rules are not enforced: this host has no devices controller nor cgroup v2");
  }
};

}  // namespace

Result<Plan> plan_resources(const spec::Resources& r, const Controllers& host) {
  Planner p{host, {}};
  p.devices(r.devices);
  if (r.memory) HUSK_TRY(p.memory(*r.memory));
  if (r.cpu) HUSK_TRY(p.cpu(*r.cpu));
  if (r.pids) HUSK_TRY(p.pids(*r.pids));
  if (r.block_io) HUSK_TRY(p.block_io(*r.block_io));
  HUSK_TRY(p.hugepages(r.hugepage_limits));
  if (r.network) HUSK_TRY(p.network(*r.network));
  HUSK_TRY(p.rdma(r.rdma));
  // Raw v2 values last: they are the user's word over the converted ones.
  HUSK_TRY(p.unified(r.unified));
  return std::move(p.plan);
}

}  // namespace husk::cgroups
