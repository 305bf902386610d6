// `husk pull`, `husk push`, `husk login`, `husk logout`.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>

#include "cli/husk/commands.hpp"
#include "engine/events.hpp"
#include "image/credentials.hpp"
#include "image/import.hpp"
#include "image/pull.hpp"

namespace husk::cli {

namespace {

std::string default_auth_file() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.config/husk/auth.json";
}

std::string mb(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fMB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// Per-layer progress on stderr: redrawn lines (bytes, rate) on a terminal,
// one line per change of phase otherwise (logs, CI).
class ProgressDisplay {
 public:
  ProgressDisplay() : tty_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

  void update(const image::LayerProgress& p) {
    std::lock_guard g(mu_);
    auto& row = rows_[p.digest.hex];
    bool new_phase = row.phase != p.phase || row.order == 0;
    if (row.order == 0) row.order = ++count_;
    if (row.order && new_phase && row.phase == image::LayerProgress::Phase::downloading) row.started = now();
    if (new_phase && p.phase == image::LayerProgress::Phase::downloading) row.started = now();
    row.phase = p.phase;
    row.bytes = p.bytes;
    row.total = p.total;
    if (!tty_) {
      if (new_phase)
        std::fprintf(stderr, "%s: %s\n", p.digest.hex.substr(0, 12).c_str(), phase_name(p.phase));
      return;
    }
    auto t = now();
    if (!new_phase && t - last_draw_ < 0.1) return;
    last_draw_ = t;
    if (drawn_) std::fprintf(stderr, "\033[%zuA", drawn_);
    drawn_ = 0;
    for (auto& [hex, r] : by_order()) {
      std::string detail;
      if (r->phase == image::LayerProgress::Phase::downloading) {
        double secs = std::max(1e-3, t - r->started);
        detail = "  " + mb(r->bytes) + "/" + mb(r->total) + "  " +
                 mb(static_cast<uint64_t>(r->bytes / secs)) + "/s";
      }
      std::fprintf(stderr, "\033[2K%s: %s%s\n", hex.substr(0, 12).c_str(), phase_name(r->phase),
                   detail.c_str());
      ++drawn_;
    }
  }

 private:
  struct Row {
    size_t order = 0;
    image::LayerProgress::Phase phase = image::LayerProgress::Phase::waiting;
    uint64_t bytes = 0, total = 0;
    double started = 0;
  };
  static const char* phase_name(image::LayerProgress::Phase p) {
    switch (p) {
      case image::LayerProgress::Phase::waiting:
        return "Waiting";
      case image::LayerProgress::Phase::exists:
        return "Already exists";
      case image::LayerProgress::Phase::downloading:
        return "Transferring";
      case image::LayerProgress::Phase::done:
        return "Complete";
      case image::LayerProgress::Phase::failed:
        return "Failed";
    }
    return "";
  }
  double now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  std::vector<std::pair<std::string, Row*>> by_order() {
    std::vector<std::pair<std::string, Row*>> v;
    for (auto& [k, r] : rows_) v.emplace_back(k, &r);
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second->order < b.second->order; });
    return v;
  }

  std::mutex mu_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::map<std::string, Row> rows_;
  size_t count_ = 0, drawn_ = 0;
  double last_draw_ = -1;
};

// HUSK_REGISTRY_TIMEOUT: seconds without a byte before a transfer is given
// up (default 30), for slow links or for tests of a registry that hangs.
int stall_timeout() {
  const char* v = std::getenv("HUSK_REGISTRY_TIMEOUT");
  if (v && *v) {
    int n = std::atoi(v);
    if (n > 0) return n;
  }
  return 30;
}

struct RegistryFlags {
  std::string tls_verify = "true";
  std::string authfile = default_auth_file();
};

void add_registry_flags(CLI::App* c, RegistryFlags& f) {
  c->add_option("--tls-verify", f.tls_verify,
                "require HTTPS with a verified certificate (false: allow plain http)")
      ->check(CLI::IsMember({"true", "false"}))
      ->expected(0, 1)
      ->default_str("true");
  c->add_option("--authfile", f.authfile, "credentials file (default ~/.config/husk/auth.json)");
}

Result<image::RegistryOptions> registry_options(const RegistryFlags& f, const std::string& domain) {
  image::RegistryOptions o;
  o.tls_verify = f.tls_verify != "false";
  o.credentials = HUSK_TRY(image::load_credentials(f.authfile, domain));
  o.stall_timeout_s = stall_timeout();
  return o;
}

Result<int> pull(const Context& ctx, const std::string& name, const RegistryFlags& flags,
                 const std::string& platform, bool quiet) {
  auto ref = HUSK_TRY(image::parse_reference(name));
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  image::PullOptions o;
  o.registry = HUSK_TRY(registry_options(flags, ref.domain));
  if (!platform.empty()) o.platform = HUSK_TRY(image::parse_platform(platform));
  ProgressDisplay display;
  if (!quiet) o.progress = [&](const image::LayerProgress& p) { display.update(p); };
  if (!quiet) std::fprintf(stderr, "Pulling %s\n", ref.familiar().c_str());
  auto img = HUSK_TRY(image::pull_image(store, ref, o));
  {
    // docker's: the reference, and its name without the tag.
    std::string fam = ref.familiar();
    std::string bare = ref.tag.empty() || ref.digest ? fam : fam.substr(0, fam.size() - ref.tag.size() - 1);
    engine::EventLog(ctx.root).record(engine::image_event("pull", fam, bare));
  }
  if (!quiet) std::fprintf(stderr, "Digest: %s\n", img.manifest_digest.str().c_str());
  std::cout << ref.str() << "\n";
  return 0;
}

Result<int> push(const Context& ctx, const std::string& name, const std::string& dest_name,
                 const RegistryFlags& flags, bool quiet) {
  auto store = HUSK_TRY(image::Store::open(ctx.root));
  auto img = HUSK_TRY(image::find_or_make_default(store, name));
  auto dest = HUSK_TRY(image::parse_reference(dest_name.empty() ? name : dest_name));
  ProgressDisplay display;
  image::ProgressFn progress;
  if (!quiet) progress = [&](const image::LayerProgress& p) { display.update(p); };
  auto digest =
      HUSK_TRY(image::push_image(store, img, dest, HUSK_TRY(registry_options(flags, dest.domain)), progress));
  std::cout << dest.familiar() << ": digest: " << digest.str() << "\n";
  engine::EventLog(ctx.root).record(engine::image_event("push", dest.familiar(), dest.familiar()));
  return 0;
}

Result<int> login(const std::string& server, std::string user, std::string password, bool password_stdin,
                  const RegistryFlags& flags) {
  if (password_stdin) {
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  }
  if (user.empty() || password.empty())
    return fail_code(EINVAL, "login needs --username and --password (or --password-stdin)");
  image::RegistryOptions o;
  o.tls_verify = flags.tls_verify != "false";
  o.credentials = image::Credentials{user, password};
  o.stall_timeout_s = stall_timeout();
  auto domain = HUSK_TRY(image::parse_reference(server + "/x")).domain;
  image::RegistryClient client(domain, o);
  HUSK_TRY_CTX(client.ping(), "login to " + domain);
  HUSK_TRY(image::store_credentials(flags.authfile, domain, *o.credentials));
  std::cout << "Login Succeeded\n";
  return 0;
}

}  // namespace

void add_pull(CLI::App& app, Invocation& inv) {
  struct O {
    std::string name, platform;
    bool quiet = false;
    RegistryFlags flags;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("pull", "pull an image from a registry");
  add_registry_flags(c, o->flags);
  c->add_option("--platform", o->platform, "os/arch[/variant] (default: this machine's)");
  c->add_flag("-q,--quiet", o->quiet, "no progress");
  c->add_option("name", o->name, "NAME[:TAG|@DIGEST]")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return pull(ctx, o->name, o->flags, o->platform, o->quiet); };
  });
}

void add_push(CLI::App& app, Invocation& inv) {
  struct O {
    std::string name, dest;
    bool quiet = false;
    RegistryFlags flags;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("push", "push an image to a registry");
  add_registry_flags(c, o->flags);
  c->add_flag("-q,--quiet", o->quiet, "no progress");
  c->add_option("name", o->name, "image in the store")->required();
  c->add_option("destination", o->dest, "where to (default: NAME)");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return push(ctx, o->name, o->dest, o->flags, o->quiet); };
  });
}

void add_login(CLI::App& app, Invocation& inv) {
  struct O {
    std::string server, user, password;
    bool password_stdin = false;
    RegistryFlags flags;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("login", "store credentials for a registry (file mode 0600)");
  add_registry_flags(c, o->flags);
  c->add_option("-u,--username", o->user, "user name");
  c->add_option("-p,--password", o->password, "password (prefer --password-stdin)");
  c->add_flag("--password-stdin", o->password_stdin, "read the password from stdin");
  c->add_option("server", o->server, "registry, e.g. localhost:5000")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context&) {
      return login(o->server, o->user, o->password, o->password_stdin, o->flags);
    };
  });
}

void add_logout(CLI::App& app, Invocation& inv) {
  struct O {
    std::string server;
    RegistryFlags flags;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("logout", "forget the credentials for a registry");
  add_registry_flags(c, o->flags);
  c->add_option("server", o->server, "registry")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context&) -> Result<int> {
      auto domain = HUSK_TRY(image::parse_reference(o->server + "/x")).domain;
      bool had = HUSK_TRY(image::remove_credentials(o->flags.authfile, domain));
      if (!had) return fail_code(ENOENT, "not logged in to " + domain);
      std::cout << "Removed login credentials for " << domain << "\n";
      return 0;
    };
  });
}

}  // namespace husk::cli
