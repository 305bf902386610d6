// Crash injection for the fault tests (tests/integration/faults*.bats):
// HUSK_FAULT=STEP makes husk-runtime and husk SIGKILL themselves at STEP,
// where their work is half-done, so the tests can check that the next
// command sees a consistent state and that `delete --force` / `rm -f` /
// gc leave nothing behind. Unset (always, outside the tests), a fault
// point costs one load and a branch: the variable is read once a process.
#pragma once

#include <string_view>

namespace husk {

// Every step, in one place: X(enumerator, "name HUSK_FAULT takes").
#define HUSK_FAULT_POINTS(X)                                                                 \
  /* husk-runtime create (and husk's in-process create) */                                   \
  X(runtime_create_dir, "runtime.create.dir")       /* state dir made, locked */             \
  X(runtime_create_cgroup, "runtime.create.cgroup") /* cgroup dirs made */                   \
  X(runtime_create_init, "runtime.create.init")     /* init cloned, no state */              \
  X(runtime_create_state, "runtime.create.state")   /* "creating" saved */                   \
  X(runtime_create_rootfs, "runtime.create.rootfs") /* the init, mounts made */              \
  X(runtime_create_ready, "runtime.create.ready")   /* init ready, not "created" */          \
  X(runtime_start_woken, "runtime.start.woken")     /* init woken, not "running" */          \
  X(runtime_exec_joined, "runtime.exec.joined")     /* exec child in the cgroup */           \
  X(runtime_delete_killed, "runtime.delete.killed") /* init killed */                        \
  X(runtime_delete_cgroup, "runtime.delete.cgroup") /* cgroup gone, state not */             \
  /* husk: containers */                                                                     \
  X(engine_create_dir, "engine.create.dir")           /* containers/ID made */               \
  X(engine_create_overlay, "engine.create.overlay")   /* root mounted */                     \
  X(engine_create_bundle, "engine.create.bundle")     /* config.json, no record */           \
  X(engine_run_record, "engine.run.record")           /* record says running */              \
  X(engine_run_monitor, "engine.run.monitor")         /* monitor spawned */                  \
  X(engine_monitor_running, "engine.monitor.running") /* the monitor, once started */        \
  X(engine_rm_runtime, "engine.rm.runtime")           /* runtime state deleted */            \
  X(engine_rm_unmounted, "engine.rm.unmounted")       /* root unmounted, files stay */       \
  X(engine_net_netns, "engine.net.netns")             /* namespace kept, no address */       \
  X(engine_net_wired, "engine.net.wired")             /* lease, veth, names: no ports */     \
  X(engine_net_published, "engine.net.published")     /* ports in the table, no endpoints */ \
  /* husk pull */                                                                            \
  X(pull_blob_partial, "pull.blob.partial")   /* a blob half-downloaded */                   \
  X(pull_layer_partial, "pull.layer.partial") /* a layer half-unpacked */                    \
  X(pull_layer_linked, "pull.layer.linked")   /* short link, no layer */                     \
  X(pull_image_layers, "pull.image.layers")   /* all layers, no image */                     \
  X(pull_image_blobs, "pull.image.blobs")     /* manifest stored, no name */

enum class Fault {
#define HUSK_FAULT_ENUM(e, name) e,
  HUSK_FAULT_POINTS(HUSK_FAULT_ENUM)
#undef HUSK_FAULT_ENUM
};

std::string_view fault_name(Fault f);

// Raises SIGKILL when HUSK_FAULT names F.
void fault_point(Fault f);

}  // namespace husk
