// `husk run` (in the foreground, no terminal yet), `husk ps`, `husk rm`:
// containers from images, run by the runtime library in this process.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/time.hpp"
#include "cli/husk/commands.hpp"
#include "engine/containers.hpp"
#include "image/bundle.hpp"
#include "image/import.hpp"
#include "image/overlay.hpp"
#include "image/pull.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

namespace {

struct RunFlags {
  std::string image, name, user, workdir, hostname, entrypoint,
      run_root = std::string(engine::kDefaultRunRoot);
  std::vector<std::string> command, env;
  bool rm = false;
  bool detach = false;
};

// docker's exit codes for a container that could not start: 126 when its
// command cannot be invoked, 127 when it is not there, 125 for husk itself.
int exit_code_for(const Error& e) {
  const std::string& m = e.message();
  if (m.find("exec: \"") != std::string::npos) return e.err() == ENOENT ? 127 : 126;
  return 125;
}

// The image, made (the default) or pulled (anything else) when missing.
Result<image::StoredImage> image_for_run(const image::Store& store, const std::string& name) {
  auto found = image::find_or_make_default(store, name);
  if (found || found.error().err() != ENOENT) return found;
  auto ref = image::parse_reference(name);
  if (!ref) return found;
  std::fprintf(stderr, "Unable to find image '%s' locally\n", ref->familiar().c_str());
  image::PullOptions o;
  return image::pull_image(store, *ref, o);
}

runtime::Context runtime_context(const std::string& run_root) {
  runtime::Context rctx;
  rctx.root = run_root;
  return rctx;
}

// Runs the container in the foreground of this process and records how it
// ended: what `husk run` does, and what a detached container's monitor does.
Result<int> run_and_record(const image::Store& store, const engine::ContainerStore& containers,
                           engine::ContainerRecord rec, const RunFlags& f) {
  rec.status = "running";
  rec.started = now_rfc3339();
  HUSK_TRY(containers.save(rec));
  runtime::CreateOptions opts;
  opts.id = rec.id;
  opts.bundle = containers.bundle_dir(rec.id);
  auto result = runtime::run_container(runtime_context(f.run_root), opts, false);
  rec.status = "exited";
  rec.finished = now_rfc3339();
  rec.exit_code = result ? *result : exit_code_for(result.error());
  if (!result) std::fprintf(stderr, "husk: %s\n", result.error().what().c_str());
  if (!path_exists(containers.dir(rec.id))) return rec.exit_code;  // `rm -f` from elsewhere took it
  if (f.rm) {
    HUSK_TRY(image::remove_bundle(store, containers.bundle_dir(rec.id)));
  } else {
    // An exited container keeps its upper dir, not its mount.
    HUSK_TRY(image::unmount_overlay(containers.bundle_dir(rec.id) + "/rootfs"));
    HUSK_TRY(containers.save(rec));
  }
  return rec.exit_code;
}

// -d: a monitor process (forked twice, so it outlives us and belongs to no
// terminal) runs the container in its foreground with the output going to
// the container's log, and records the exit code; we return once the
// container runs, or with its error and code if it could not start.
Result<int> run_detached(const image::Store& store, const engine::ContainerStore& containers,
                         const engine::ContainerRecord& rec, const RunFlags& f) {
  std::string log = containers.dir(rec.id) + "/container.log";
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork the container's monitor");
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(125);
    // Nothing of the caller's stays open in the monitor (its pipes would
    // never see EOF while the container runs).
    ::syscall(SYS_close_range, 3, ~0U, 0);
    auto r = run_and_record(store, containers, rec, f);
    if (!r) std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
    ::_exit(0);
  }
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Running (the runtime has it so), or ended (the monitor recorded it).
  for (int i = 0; i < 3000; ++i) {
    auto s = runtime::container_state(runtime_context(f.run_root), rec.id);
    if (s && s->status == spec::Status::running) {
      std::cout << rec.id << "\n";
      return 0;
    }
    auto now = containers.find(rec.id);
    if (now && now->status == "exited") {
      if (auto text = read_file(log)) std::fputs(text->c_str(), stderr);
      return now->exit_code;
    }
    if (!now && !path_exists(containers.dir(rec.id))) {  // --rm and already gone
      if (auto text = read_file(log)) std::fputs(text->c_str(), stderr);
      return 0;
    }
    ::usleep(10000);
  }
  return fail_code(ETIMEDOUT,
                   "container " + rec.name + " did not start within 30 s (see husk logs " + rec.name + ")");
}

Result<int> run(const Context& ctx, const RunFlags& f) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  auto img = HUSK_TRY(image_for_run(store, f.image));
  engine::ContainerStore containers(store);
  image::BundleOptions bo;
  if (!f.command.empty()) bo.command = f.command;
  if (!f.entrypoint.empty()) bo.entrypoint = std::vector<std::string>{f.entrypoint};
  bo.env = f.env;
  bo.user = f.user;
  bo.workdir = f.workdir;
  engine::ContainerRecord rec;
  rec.name = f.name;
  rec.image = f.image;
  rec.image_id = img.id().str();
  rec.command = HUSK_TRY(image::container_args(img.config.config, bo));
  rec.created = now_rfc3339();
  rec.auto_remove = f.rm;
  rec = HUSK_TRY(containers.create(rec, [&](const engine::ContainerRecord& r) -> Result<void> {
    bo.id = r.id;
    bo.hostname = f.hostname.empty() ? r.id.substr(0, 12) : f.hostname;
    return image::create_bundle(store, img, containers.bundle_dir(r.id), bo);
  }));
  if (f.detach) return run_detached(store, containers, rec, f);
  return run_and_record(store, containers, rec, f);
}

// "running" only while the runtime has it; a record left "running" by a
// husk that died is shown as exited with an unknown code.
std::string live_status(const engine::ContainerRecord& r, const std::string& run_root) {
  if (r.status != "running") return r.status;
  auto s = runtime::container_state(runtime_context(run_root), r.id);
  if (s && s->status != spec::Status::stopped) return "running";
  return "exited?";
}

std::string status_text(const engine::ContainerRecord& r, const std::string& live) {
  if (live == "running") return "Up since " + r.started.substr(0, 19);
  if (live == "exited?") return "Exited (unknown)";
  if (live == "exited") return "Exited (" + std::to_string(r.exit_code) + ") " + r.finished.substr(0, 19);
  return "Created";
}

Result<int> ps(const Context& ctx, bool all, bool quiet, const std::string& format,
               const std::string& run_root) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  engine::ContainerStore containers(store);
  auto list = HUSK_TRY(containers.list());
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  if (!quiet && format.empty())
    std::printf("%-14s %-24s %-28s %-22s %-32s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                "NAMES");
  for (auto& r : list) {
    std::string live = live_status(r, run_root);
    if (!all && live != "running") continue;
    if (quiet) {
      std::cout << r.id.substr(0, 12) << "\n";
      continue;
    }
    std::string cmd;
    for (auto& a : r.command) cmd += (cmd.empty() ? "" : " ") + a;
    if (format == "json") {
      arr.push_back({{"Id", r.id},
                     {"Names", {r.name}},
                     {"Image", r.image},
                     {"ImageID", r.image_id},
                     {"Command", cmd},
                     {"Created", r.created},
                     {"State", live == "exited?" ? "exited" : live},
                     {"Status", status_text(r, live)},
                     {"ExitCode", r.exit_code}});
      continue;
    }
    if (cmd.size() > 26) cmd = cmd.substr(0, 23) + "...";
    std::printf("%-14s %-24s %-28s %-22s %-32s %s\n", r.id.substr(0, 12).c_str(), r.image.c_str(),
                ("\"" + cmd + "\"").c_str(), r.created.substr(0, 19).c_str(), status_text(r, live).c_str(),
                r.name.c_str());
  }
  if (format == "json") std::cout << arr.dump(2) << "\n";
  return 0;
}

Result<int> rm(const Context& ctx, const std::vector<std::string>& names, bool force,
               const std::string& run_root) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  engine::ContainerStore containers(store);
  for (auto& n : names) {
    auto r = HUSK_TRY(containers.find(n));
    if (live_status(r, run_root) == "running") {
      if (!force)
        return fail_code(EBUSY,
                         "cannot remove container " + r.name + ": it is running (stop it first, or use -f)");
      HUSK_TRY(runtime::delete_container(runtime_context(run_root), r.id, true));
    }
    HUSK_TRY(image::remove_bundle(store, containers.bundle_dir(r.id)));
    std::cout << n << "\n";
  }
  return 0;
}

Result<int> logs(const Context& ctx, const std::string& name) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  engine::ContainerStore containers(store);
  auto r = HUSK_TRY(containers.find(name));
  auto text = read_file(containers.dir(r.id) + "/container.log");
  if (!text && text.error().err() == ENOENT)
    return fail_code(ENOENT, "container " + r.name + " has no log (it ran in the foreground)");
  std::fputs(HUSK_TRY(std::move(text)).c_str(), stdout);
  return 0;
}

// Until the container has exited; its exit code, as docker's `wait` prints it.
Result<int> wait_for_exit(const Context& ctx, const std::string& name, const std::string& run_root,
                          int timeout_ms = -1) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  engine::ContainerStore containers(store);
  for (int waited = 0; timeout_ms < 0 || waited < timeout_ms; waited += 20) {
    auto r = HUSK_TRY(containers.find(name));
    std::string live = live_status(r, run_root);
    if (live == "exited") return r.exit_code;
    if (live == "exited?") {
      // The monitor may be recording it right now.
      ::usleep(100000);
      auto again = HUSK_TRY(containers.find(name));
      if (again.status == "exited") return again.exit_code;
      return fail_code(EIO, "container " + r.name + " ended without a recorded exit code");
    }
    ::usleep(20000);
  }
  return fail_code(ETIMEDOUT, "container " + name + " still runs");
}

// SIGTERM (or the image's stop signal), then SIGKILL after TIMEOUT seconds.
Result<int> stop(const Context& ctx, const std::vector<std::string>& names, int timeout,
                 const std::string& run_root) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  engine::ContainerStore containers(store);
  for (auto& n : names) {
    auto r = HUSK_TRY(containers.find(n));
    if (live_status(r, run_root) == "running") {
      auto rctx = runtime_context(run_root);
      (void)runtime::kill_container(rctx, r.id, SIGTERM, false);
      auto done = wait_for_exit(ctx, r.id, run_root, timeout * 1000);
      if (!done && done.error().err() == ETIMEDOUT) {
        (void)runtime::kill_container(rctx, r.id, SIGKILL, false);
        HUSK_TRY(wait_for_exit(ctx, r.id, run_root, 10000));
      }
    }
    std::cout << n << "\n";
  }
  return 0;
}

}  // namespace

void add_container_commands(CLI::App& app, Invocation& inv) {
  {
    auto name = std::make_shared<std::string>();
    auto* c = app.add_subcommand("logs", "print a detached container's output");
    c->add_option("container", *name, "name or id")->required();
    c->callback([name, &inv] { inv.action = [name](const Context& ctx) { return logs(ctx, *name); }; });
  }
  {
    struct O {
      std::vector<std::string> names;
      std::string run_root = std::string(engine::kDefaultRunRoot);
    };
    auto o = std::make_shared<O>();
    auto* c = app.add_subcommand("wait", "wait for containers to exit; print their exit codes");
    c->add_option("--runroot", o->run_root, "the runtime's state directory");
    c->add_option("container", o->names, "names or ids")->required();
    c->callback([o, &inv] {
      inv.action = [o](const Context& ctx) -> Result<int> {
        for (auto& n : o->names) std::cout << HUSK_TRY(wait_for_exit(ctx, n, o->run_root)) << "\n";
        return 0;
      };
    });
  }
  {
    struct O {
      std::vector<std::string> names;
      int timeout = 10;
      std::string run_root = std::string(engine::kDefaultRunRoot);
    };
    auto o = std::make_shared<O>();
    auto* c = app.add_subcommand("stop", "stop containers: SIGTERM, then SIGKILL after -t seconds");
    c->add_option("-t,--time", o->timeout, "seconds to wait before SIGKILL (default 10)");
    c->add_option("--runroot", o->run_root, "the runtime's state directory");
    c->add_option("container", o->names, "names or ids")->required();
    c->callback([o, &inv] {
      inv.action = [o](const Context& ctx) { return stop(ctx, o->names, o->timeout, o->run_root); };
    });
  }
  {
    auto f = std::make_shared<RunFlags>();
    auto* c = app.add_subcommand("run", "run a command in a new container (in the foreground)");
    c->set_help_flag("--help", "print this help");  // -h is --hostname, as docker's
    c->add_flag("--rm", f->rm, "remove the container when it exits");
    c->add_flag("-d,--detach", f->detach, "run in the background; print the id");
    c->add_option("--name", f->name, "the container's name");
    c->add_option("-e,--env", f->env, "KEY=VALUE")->allow_extra_args(false);
    c->add_option("-u,--user", f->user, "user[:group], names from the image");
    c->add_option("-w,--workdir", f->workdir, "working directory");
    c->add_option("-h,--hostname", f->hostname, "hostname (default: the id's first 12 digits)");
    c->add_option("--entrypoint", f->entrypoint, "replaces the image's entrypoint");
    c->add_option("--runroot", f->run_root, "the runtime's state directory (default /run/husk-engine)");
    c->add_option("image", f->image, "image name or id")->required();
    c->prefix_command();
    c->footer("Everything after IMAGE is the container's command.");
    c->callback([f, c, &inv] {
      f->command = c->remaining();
      inv.action = [f](const Context& ctx) -> Result<int> {
        auto r = run(ctx, *f);
        // husk's own failures are docker's 125 (or 126/127: see exit_code_for).
        if (!r) {
          std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
          return exit_code_for(r.error());
        }
        return *r;
      };
    });
  }
  {
    struct O {
      bool all = false, quiet = false;
      std::string format, run_root = std::string(engine::kDefaultRunRoot);
    };
    auto o = std::make_shared<O>();
    auto* c = app.add_subcommand("ps", "list containers");
    c->add_flag("-a,--all", o->all, "also the ones not running");
    c->add_flag("-q,--quiet", o->quiet, "only ids");
    c->add_option("--format", o->format, "json");
    c->add_option("--runroot", o->run_root, "the runtime's state directory");
    c->callback([o, &inv] {
      inv.action = [o](const Context& ctx) { return ps(ctx, o->all, o->quiet, o->format, o->run_root); };
    });
  }
  {
    struct O {
      std::vector<std::string> names;
      bool force = false;
      std::string run_root = std::string(engine::kDefaultRunRoot);
    };
    auto o = std::make_shared<O>();
    auto* c = app.add_subcommand("rm", "remove containers");
    c->add_flag("-f,--force", o->force, "kill a running one first");
    c->add_option("--runroot", o->run_root, "the runtime's state directory");
    c->add_option("container", o->names, "names or ids")->required();
    c->callback([o, &inv] {
      inv.action = [o](const Context& ctx) { return rm(ctx, o->names, o->force, o->run_root); };
    });
  }
}

}  // namespace husk::cli
