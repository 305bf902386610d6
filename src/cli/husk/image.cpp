// `husk image ls|inspect|history|rm|tag|prune|import|bundle|unbundle`, and
// docker's short forms `husk images` and `husk rmi`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/husk/commands.hpp"
#include "engine/events.hpp"
#include "cli/husk/image_json.hpp"
#include "engine/container_config.hpp"
#include "image/bundle.hpp"
#include "image/import.hpp"
#include "image/store.hpp"
#include "image/transfer.hpp"

namespace husk::cli {

namespace {

using json = nlohmann::ordered_json;
using image::Store;
using image::StoredImage;

std::string short_id(const image::Digest& d) { return d.hex.substr(0, 12); }

// docker's images --format fields, one row per name.
std::vector<json> image_rows(const Store& store, const std::vector<StoredImage>& all) {
  std::vector<json> rows;
  time_t now = std::time(nullptr);
  for (auto& img : all) {
    // Summed over its layers' records: once per image, not per name and field.
    std::string size = human_size(image_size(store, img));
    for (auto& n : img.names) {
      auto [repo, tag] = repository_and_tag(n);
      rows.push_back({{"Containers", "N/A"},
                      {"CreatedAt", docker_time(img.config.created)},
                      {"CreatedSince", time_ago(img.config.created, now)},
                      {"Digest", img.manifest_digest.hex.empty() ? "<none>" : img.manifest_digest.str()},
                      {"ID", short_id(img.id())},
                      {"Repository", repo},
                      {"SharedSize", "N/A"},
                      {"Size", size},
                      {"Tag", tag},
                      {"UniqueSize", "N/A"},
                      {"VirtualSize", size}});
    }
  }
  return rows;
}

const json kImagesHeader = {{"ID", "IMAGE ID"},
                            {"Repository", "REPOSITORY"},
                            {"Tag", "TAG"},
                            {"Digest", "DIGEST"},
                            {"CreatedSince", "CREATED"},
                            {"CreatedAt", "CREATED AT"},
                            {"Size", "SIZE"},
                            {"Containers", "CONTAINERS"},
                            {"SharedSize", "SHARED SIZE"},
                            {"UniqueSize", "UNIQUE SIZE"},
                            {"VirtualSize", "VIRTUAL SIZE"}};
constexpr const char* kImagesTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

Result<int> list_images(const Context& ctx, const std::string& format, bool quiet) {
  // A bad --format is one error, before the store is read.
  std::optional<engine::Listing> listing;
  if (!format.empty() && format != "table" && format != "json") {
    auto parsed = engine::Listing::parse(format, kImagesTable, kImagesHeader);
    if (!parsed) return bad_format(parsed.error());
    listing = std::move(*parsed);
  }
  auto store = HUSK_TRY(Store::open(ctx.root));
  auto all = HUSK_TRY(store.list_images());
  if (quiet) {
    for (auto& img : all) std::cout << short_id(img.id()) << "\n";
    return 0;
  }
  if (format == "json") {
    json arr = json::array();
    for (auto& img : all) {
      json names = json::array();
      for (auto& n : img.names) names.push_back(n);
      arr.push_back({{"Id", img.id().str()},
                     {"Names", names},
                     {"Digest", img.manifest_digest.str()},
                     {"Created", img.config.created},
                     {"Size", image_size(store, img)}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  if (listing) {
    std::cout << HUSK_TRY(listing->render(image_rows(store, all)));
    return 0;
  }
  std::printf("%-40s %-16s %-14s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  for (auto& img : all) {
    // Summed over its layers' records: once per image, not per name.
    std::string size = human_size(image_size(store, img));
    for (auto& n : img.names) {
      auto [repo, tag] = repository_and_tag(n);
      std::printf("%-40s %-16s %-14s %-22s %s\n", repo.c_str(), tag.c_str(), short_id(img.id()).c_str(),
                  img.config.created.substr(0, 19).c_str(), size.c_str());
    }
  }
  return 0;
}

Result<int> inspect_images(const Context& ctx, const std::vector<std::string>& names,
                           const std::string& format) {
  auto parsed = InspectFormat::parse(format);
  if (!parsed) return bad_format(parsed.error());
  auto store = HUSK_TRY(Store::open(ctx.root));
  std::vector<json> arr;
  for (auto& n : names)
    arr.push_back(json::parse(image_inspect_json(store, HUSK_TRY(image::find_or_make_default(store, n)))));
  return parsed->print(arr);
}

const json kHistoryHeader = {
    {"ID", "IMAGE"},  {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"},
    {"Size", "SIZE"}, {"Comment", "COMMENT"}};
constexpr const char* kHistoryTable =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

// docker's history --format fields from husk's rows (newest first): the
// image's id on the newest, <missing> on the layers under it, as docker.
std::vector<json> history_rows(const std::vector<json>& rows, const image::Digest& id) {
  std::vector<json> out;
  time_t now = std::time(nullptr);
  for (auto& r : rows) {
    std::string created = r["Created"].get<std::string>();
    out.push_back({{"ID", out.empty() ? short_id(id) : "<missing>"},
                   {"CreatedSince", time_ago(created, now)},
                   {"CreatedAt", docker_time(created)},
                   {"CreatedBy", r["CreatedBy"]},
                   {"Size", human_size(r["Size"].get<uint64_t>())},
                   {"Comment", r["Comment"]}});
  }
  return out;
}

Result<int> image_history(const Context& ctx, const std::string& name, const std::string& format) {
  std::optional<engine::Listing> listing;
  if (!format.empty() && format != "table" && format != "json") {
    auto parsed = engine::Listing::parse(format, kHistoryTable, kHistoryHeader);
    if (!parsed) return bad_format(parsed.error());
    listing = std::move(*parsed);
  }
  auto store = HUSK_TRY(Store::open(ctx.root));
  auto img = HUSK_TRY(image::find_or_make_default(store, name));
  // Newest first, as docker; layers are matched to the entries that made one.
  std::vector<json> rows;
  size_t layer = 0;
  auto chains = image::chain_ids(img.config.diff_ids);
  for (auto& h : img.config.history) {
    uint64_t size = 0;
    if (!h.empty_layer && layer < chains.size()) {
      if (auto l = store.layer(chains[layer])) size = l->tar_size;
      ++layer;
    }
    rows.push_back(
        {{"Created", h.created}, {"CreatedBy", h.created_by}, {"Size", size}, {"Comment", h.comment}});
  }
  std::reverse(rows.begin(), rows.end());
  if (listing) {
    std::cout << HUSK_TRY(listing->render(history_rows(rows, img.id())));
    return 0;
  }
  if (format == "json") {
    std::cout << json(rows).dump(2) << "\n";
    return 0;
  }
  std::printf("%-22s %-60s %-10s %s\n", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  for (auto& r : rows) {
    std::string by = r["CreatedBy"].get<std::string>();
    if (by.size() > 60) by = by.substr(0, 57) + "...";
    std::printf("%-22s %-60s %-10s %s\n", r["Created"].get<std::string>().substr(0, 19).c_str(), by.c_str(),
                human_size(r["Size"].get<uint64_t>()).c_str(), r["Comment"].get<std::string>().c_str());
  }
  return 0;
}

Result<int> remove_images(const Context& ctx, const std::vector<std::string>& names, bool force) {
  auto store = HUSK_TRY(Store::open(ctx.root));
  for (auto& n : names) {
    auto img = HUSK_TRY(store.find_image(n));
    auto removed = HUSK_TRY(store.untag(n, force));
    engine::EventLog events(ctx.root);
    std::string id = img.id().str();
    for (auto& r : removed) {
      auto ref = image::parse_reference(r);
      std::cout << "Untagged: " << (ref ? ref->familiar() : r) << "\n";
      events.record(engine::image_event("untag", id, id));
    }
    // The content goes when no other name (and no container) needs it.
    auto still = store.find_image(id);
    if (!still) {
      std::cout << "Deleted: " << id << "\n";
      events.record(engine::image_event("delete", id, id));
    }
  }
  HUSK_TRY(store.gc());
  return 0;
}

Result<int> tag_image(const Context& ctx, const std::string& src, const std::string& dst) {
  auto store = HUSK_TRY(Store::open(ctx.root));
  auto img = HUSK_TRY(image::find_or_make_default(store, src));
  auto ref = HUSK_TRY(image::parse_reference(dst));
  if (ref.digest) return fail_code(EINVAL, "refusing to create a tag with a digest reference: " + dst);
  HUSK_TRY(store.tag(img, ref));
  engine::EventLog(ctx.root).record(engine::image_event("tag", img.id().str(), ref.familiar()));
  return 0;
}

Result<int> prune_images(const Context& ctx, bool all, const std::vector<std::string>& filters) {
  auto filter = HUSK_TRY(prune_filter(filters));
  auto eng = HUSK_TRY(open_engine(ctx));
  auto report = HUSK_TRY(engine::prune_images(eng, all, filter));
  for (auto& r : report.removed) std::cout << r << "\n";
  std::cout << "Total reclaimed space: " << human_size(report.reclaimed) << "\n";
  return 0;
}

// docker import's --change, for the instructions that make sense without a
// build: CMD, ENTRYPOINT (JSON or shell form), ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL.
Result<void> apply_change(image::RunConfig& c, const std::string& change) {
  std::string t = trim(change);
  auto sp = t.find_first_of(" \t");
  std::string op = to_upper(t.substr(0, sp)), arg = sp == std::string::npos ? "" : trim(t.substr(sp));
  auto words = [&](const std::string& a) -> Result<std::vector<std::string>> {
    if (a.starts_with("[")) {
      try {
        return nlohmann::json::parse(a).get<std::vector<std::string>>();
      } catch (const nlohmann::json::exception&) {
        return fail_code(EINVAL, "--change " + change + ": not a JSON array of strings");
      }
    }
    return std::vector<std::string>{"/bin/sh", "-c", a};
  };
  if (op == "CMD") {
    c.cmd = HUSK_TRY(words(arg));
    c.cmd_set = true;
  } else if (op == "ENTRYPOINT") {
    c.entrypoint = HUSK_TRY(words(arg));
    c.entrypoint_set = true;
  } else if (op == "ENV") {
    std::string kv =
        arg.find('=') != std::string::npos
            ? arg
            : arg.substr(0, arg.find(' ')) + "=" + trim(arg.substr(std::min(arg.size(), arg.find(' '))));
    c.env.push_back(kv);
  } else if (op == "WORKDIR") {
    c.working_dir = arg;
  } else if (op == "USER") {
    c.user = arg;
  } else if (op == "LABEL") {
    auto eq = arg.find('=');
    if (eq == std::string::npos) return fail_code(EINVAL, "--change " + change + ": LABEL wants key=value");
    c.labels[arg.substr(0, eq)] = arg.substr(eq + 1);
  } else if (op == "EXPOSE") {
    c.exposed_ports.push_back(arg.find('/') == std::string::npos ? arg + "/tcp" : arg);
  } else if (op == "STOPSIGNAL") {
    c.stop_signal = arg;
  } else {
    return fail_code(EINVAL, "--change " + change + ": \"" + op + "\" cannot be changed on import");
  }
  return {};
}

Result<int> import_image(const Context& ctx, const std::string& tarball, const std::string& name,
                         const std::vector<std::string>& changes) {
  auto store = HUSK_TRY(Store::open(ctx.root));
  image::ImportOptions opts;
  if (!name.empty()) opts.names.push_back(HUSK_TRY(image::parse_reference(name)).str());
  for (auto& ch : changes) HUSK_TRY(apply_change(opts.config, ch));
  opts.created_by = "husk image import " + tarball;
  auto img = HUSK_TRY(image::import_rootfs(store, tarball, opts));
  engine::EventLog(ctx.root).record(engine::image_event("import", img.id().str(), img.id().str()));
  std::cout << img.id().str() << "\n";
  return 0;
}

struct BundleFlags {
  std::string image, dir;
  std::vector<std::string> command, env;
  std::string name, user, workdir, hostname, entrypoint;
  bool tty = false;
};

Result<int> make_bundle(const Context& ctx, const BundleFlags& f) {
  auto store = HUSK_TRY(Store::open(ctx.root));
  auto img = HUSK_TRY(image::find_or_make_default(store, f.image));
  engine::ContainerOptions o;
  o.id = f.name;
  if (o.id.empty()) {
    // A name nobody has: the bundle directory's own name, made unique.
    std::string base = f.dir.substr(f.dir.find_last_of('/') + 1);
    o.id = base.empty() ? "bundle" : base;
    for (int i = 2; path_exists(store.root() + "/containers/" + o.id); ++i)
      o.id = (base.empty() ? "bundle" : base) + "-" + std::to_string(i);
  }
  if (!f.command.empty()) o.command = f.command;
  if (!f.entrypoint.empty()) o.entrypoint = std::vector<std::string>{f.entrypoint};
  o.env = f.env;
  o.user = f.user;
  o.workdir = f.workdir;
  o.terminal = f.tty;
  o.hostname = f.hostname;
  // What can be refused without touching anything is refused first.
  HUSK_TRY_CTX(engine::container_args(img.config.config, o), "bundle " + f.dir);
  image::BundleOptions root;
  root.id = o.id;
  root.config = [&](const std::string& bundle) { return engine::make_config(img, bundle, o); };
  HUSK_TRY(image::create_bundle(store, img, f.dir, root));
  std::cout << o.id << "\n";
  return 0;
}

Result<int> load_images(const Context& ctx, const std::string& input, bool quiet) {
  auto store = HUSK_TRY(Store::open(ctx.root));
  std::string path = input;
  UniqueFd tmpfd;
  std::string tmp;
  if (path.empty() || path == "-") {
    // From stdin: spooled into the store's tmp/ first (a tar must be seekable for nothing).
    tmp = store.root() + "/tmp/stdin-" + std::to_string(::getpid()) + ".tar";
    tmpfd = HUSK_TRY(open_fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::unlink(tmp.c_str());
        return fail_errno("read stdin");
      }
      if (n == 0) break;
      if (auto w = write_all(tmpfd.get(), std::string_view(buf, static_cast<size_t>(n)), "spool stdin"); !w) {
        ::unlink(tmp.c_str());
        return fail(std::move(w).error());
      }
    }
    tmpfd.reset();
    path = tmp;
  }
  auto loaded = image::load_archive(store, path);
  if (!tmp.empty()) ::unlink(tmp.c_str());
  if (!loaded) return fail(std::move(loaded).error());
  for (auto& img : *loaded) {
    bool named = false;
    for (auto& n : img.names)
      if (auto ref = image::parse_reference(n); ref && !n.starts_with("sha256:")) {
        if (!quiet) std::cout << "Loaded image: " << ref->familiar() << "\n";
        engine::EventLog(ctx.root).record(engine::image_event("load", ref->familiar(), ref->familiar()));
        named = true;
      }
    if (!named && !quiet) std::cout << "Loaded image ID: " << img.id().str() << "\n";
  }
  return 0;
}

Result<int> save_images(const Context& ctx, const std::vector<std::string>& names, const std::string& output,
                        const std::string& format) {
  auto store = HUSK_TRY(Store::open(ctx.root));
  auto fmt = HUSK_TRY(image::parse_archive_format(format));
  if ((output.empty() || output == "-") && ::isatty(STDOUT_FILENO))
    return fail_code(EINVAL, "refusing to write an archive to a terminal: use -o FILE or redirect stdout");
  if (fmt == image::ArchiveFormat::oci_dir && (output.empty() || output == "-"))
    return fail_code(EINVAL, "oci-dir needs -o DIR");
  std::vector<image::SaveItem> items;
  for (auto& n : names) {
    auto img = HUSK_TRY(image::find_or_make_default(store, n));
    image::SaveItem item{img, {}};
    // By name: that name; by id: every name the image has.
    auto ref = image::parse_reference(n);
    if (ref && !image::looks_like_id_prefix(n) && !n.starts_with("sha256:"))
      item.names.push_back(ref->str());
    else
      for (auto& name : img.names)
        if (!name.starts_with("sha256:")) item.names.push_back(name);
    items.push_back(std::move(item));
  }
  HUSK_TRY(image::save_archive(store, items, fmt, output.empty() ? "-" : output));
  engine::EventLog events(ctx.root);
  for (auto& item : items) {
    auto ref = item.names.empty() ? Result<image::Reference>(fail_code(ENOENT, "no name"))
                                  : image::parse_reference(item.names.front());
    events.record(
        engine::image_event("save", item.image.id().str(), ref ? ref->familiar() : item.image.id().str()));
  }
  return 0;
}

void add_image_ls(CLI::App* parent, const std::string& name, const std::string& alias, Invocation& inv) {
  struct O {
    std::string format;
    bool quiet = false;
  };
  auto o = std::make_shared<O>();
  auto* c = parent->add_subcommand(name, "list images");
  if (!alias.empty()) c->alias(alias);
  c->add_option("--format", o->format, "table (default), json, or a template such as {{.Id}}");
  c->add_flag("-q,--quiet", o->quiet, "only image ids");
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return list_images(ctx, o->format, o->quiet); }; });
}

void add_image_inspect(CLI::App* image, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::string format;
  };
  auto o = std::make_shared<O>();
  auto* c = image->add_subcommand("inspect", "show images as JSON");
  c->add_option("-f,--format", o->format, "json (default) or a template such as {{.Id}}");
  c->add_option("image", o->names, "image names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return inspect_images(ctx, o->names, o->format); };
  });
}

void add_image_history(CLI::App* app, Invocation& inv) {
  struct O {
    std::string name, format;
  };
  auto o = std::make_shared<O>();
  auto* c = app->add_subcommand("history", "show how an image was made");
  c->add_option("--format", o->format,
                "table (default), json, or a template: 'table {{.ID}}\\t{{.CreatedBy}}'");
  c->add_option("image", o->name, "image name or id")->required();
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return image_history(ctx, o->name, o->format); }; });
}

void add_image_rm(CLI::App* parent, const std::string& name, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    bool force = false;
  };
  auto o = std::make_shared<O>();
  auto* c = parent->add_subcommand(name, "remove images");
  c->add_flag("-f,--force", o->force, "remove every name of an image given by id");
  c->add_option("image", o->names, "image names or ids")->required();
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return remove_images(ctx, o->names, o->force); }; });
}

void add_image_tag(CLI::App* image, Invocation& inv) {
  struct O {
    std::string src, dst;
  };
  auto o = std::make_shared<O>();
  auto* c = image->add_subcommand("tag", "give an image another name");
  c->add_option("source", o->src, "image name or id")->required();
  c->add_option("target", o->dst, "new name")->required();
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return tag_image(ctx, o->src, o->dst); }; });
}

void add_image_prune(CLI::App* image, Invocation& inv) {
  auto* c = image->add_subcommand("prune", "remove content no image or container needs");
  struct O {
    bool all = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<O>();
  c->add_flag("-a,--all", o->all, "every image no container was made from, not only unnamed ones");
  c->add_flag("-f,--force")->description("do not ask (husk never asks)");
  add_multi(c, "--filter", o->filters, "until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]");
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return prune_images(ctx, o->all, o->filters); }; });
}

void add_image_import(CLI::App* image, Invocation& inv) {
  struct O {
    std::string tarball, name;
    std::vector<std::string> changes;
  };
  auto o = std::make_shared<O>();
  auto* c = image->add_subcommand("import", "make an image from a rootfs tarball");
  c->add_option("-c,--change", o->changes, "CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE or STOPSIGNAL")
      ->allow_extra_args(false);
  c->add_option("tarball", o->tarball, "rootfs tarball (plain, gzip or zstd)")->required();
  c->add_option("name", o->name, "name for the image");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return import_image(ctx, o->tarball, o->name, o->changes); };
  });
}

void add_image_bundle(CLI::App* image, Invocation& inv) {
  auto f = std::make_shared<BundleFlags>();
  auto* c = image->add_subcommand("bundle",
                                  "make a ready-to-run OCI bundle of an image (overlay root + config.json)");
  c->add_option("--name", f->name, "the container's name in the store (default: the bundle dir's name)");
  c->add_option("-e,--env", f->env, "KEY=VALUE for the process")->allow_extra_args(false);
  c->add_option("-u,--user", f->user, "user[:group], names from the image's /etc/passwd and /etc/group");
  c->add_option("-w,--workdir", f->workdir, "working directory");
  c->add_option("--hostname", f->hostname, "hostname (default: the name)");
  c->add_option("--entrypoint", f->entrypoint, "replaces the image's entrypoint");
  c->add_flag("-t,--tty", f->tty, "the process gets a terminal");
  c->add_option("image", f->image, "image name or id")->required();
  c->add_option("dir", f->dir, "bundle directory (made; must not exist or be empty)")->required();
  // IMAGE DIR [COMMAND ARG...]: everything after DIR is the command, options included.
  c->prefix_command();
  c->footer("Everything after DIR is the container's command (replacing the image's cmd).");
  c->callback([f, c, &inv] {
    f->command = c->remaining();
    inv.action = [f](const Context& ctx) { return make_bundle(ctx, *f); };
  });
}

void add_image_load(CLI::App* parent, Invocation& inv) {
  struct O {
    std::string input;
    bool quiet = false;
  };
  auto o = std::make_shared<O>();
  auto* c = parent->add_subcommand("load", "load images from a docker archive or an OCI layout (tar or dir)");
  c->add_option("-i,--input", o->input, "archive file or directory (default: stdin)");
  c->add_flag("-q,--quiet", o->quiet, "print nothing");
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return load_images(ctx, o->input, o->quiet); }; });
}

void add_image_save(CLI::App* parent, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::string output, format = "docker-archive";
  };
  auto o = std::make_shared<O>();
  auto* c = parent->add_subcommand("save", "save images to a docker archive or an OCI layout");
  c->add_option("-o,--output", o->output, "file (or directory for oci-dir); default: stdout");
  c->add_option("--format", o->format, "docker-archive (default), oci-archive or oci-dir");
  c->add_option("image", o->names, "image names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return save_images(ctx, o->names, o->output, o->format); };
  });
}

void add_image_unbundle(CLI::App* image, Invocation& inv) {
  auto dir = std::make_shared<std::string>();
  auto* c = image->add_subcommand("unbundle", "unmount and remove a bundle made by `husk image bundle`");
  c->add_option("dir", *dir, "bundle directory")->required();
  c->callback([dir, &inv] {
    inv.action = [dir](const Context& ctx) -> Result<int> {
      auto store = HUSK_TRY(Store::open(ctx.root));
      HUSK_TRY(image::remove_bundle(store, *dir));
      return 0;
    };
  });
}

}  // namespace

void add_image(CLI::App& app, Invocation& inv) {
  auto* image = app.add_subcommand("image", "manage images");
  image->require_subcommand(1);
  add_image_ls(image, "ls", "list", inv);
  add_image_inspect(image, inv);
  add_image_history(image, inv);
  add_image_rm(image, "rm", inv);
  add_image_tag(image, inv);
  add_image_prune(image, inv);
  add_image_import(image, inv);
  add_image_bundle(image, inv);
  add_image_load(image, inv);
  add_image_save(image, inv);
  add_image_unbundle(image, inv);
}

// docker's short forms.
void add_images(CLI::App& app, Invocation& inv) {
  add_image_ls(&app, "images", "", inv);
  add_image_history(&app, inv);
  add_image_tag(&app, inv);
  add_image_import(&app, inv);
}
void add_rmi(CLI::App& app, Invocation& inv) { add_image_rm(&app, "rmi", inv); }
void add_load(CLI::App& app, Invocation& inv) { add_image_load(&app, inv); }
void add_save(CLI::App& app, Invocation& inv) { add_image_save(&app, inv); }

}  // namespace husk::cli
