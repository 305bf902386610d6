// `husk commit [-a AUTHOR] [-m MSG] [-c INSTRUCTION]... [-p=true|false]
// CONTAINER [REPO[:TAG]]` and `husk export [-o FILE] CONTAINER`, as docker's
// (husk-full's: both write tars). engine/commit.hpp decides the config and
// freezes a running container; image/commit.hpp makes the layer and image;
// engine/copy.hpp gives export the container's filesystem.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include "base/fd.hpp"
#include "cli/husk/commands.hpp"
#include "engine/commit.hpp"
#include "engine/copy.hpp"
#include "image/commit.hpp"
#include "image/tar_stream.hpp"

namespace husk::cli {

namespace {

struct CommitFlags {
  std::string container, name, author, message;
  std::vector<std::string> changes;
  bool pause = true;
};

Result<int> commit(const Context& ctx, const CommitFlags& f) {
  auto eng = HUSK_TRY(open_engine(ctx));
  std::vector<std::string> names;
  if (!f.name.empty()) names.push_back(HUSK_TRY(image::parse_reference(f.name)).str());
  auto src = HUSK_TRY(engine::commit_source(eng, f.container, f.changes));
  image::NewImage what;
  what.config = src.config;
  what.author = f.author;
  what.comment = f.message;
  what.container = src.rec.id;
  what.created_by = "husk commit " + src.rec.name;
  what.names = names;
  std::optional<engine::PauseGuard> paused;
  if (f.pause) paused.emplace(HUSK_TRY(engine::PauseGuard::freeze(eng, src.rec)));
  auto img = HUSK_TRY(image::commit_upper(eng.images(), src.image, src.upper, what));
  if (paused) HUSK_TRY(paused->thaw());
  std::map<std::string, std::string> attrs{{"comment", f.message}, {"imageID", img.id().str()}};
  if (!f.name.empty()) attrs["imageRef"] = HUSK_TRY(image::parse_reference(f.name)).familiar();
  eng.record_event(src.rec, "commit", attrs);
  std::cout << img.id().str() << "\n";
  return 0;
}

struct ExportFlags {
  std::string container, output;
};

Result<int> export_container(const Context& ctx, const ExportFlags& f) {
  UniqueFd file;
  int out = STDOUT_FILENO;
  if (!f.output.empty()) {
    file = HUSK_TRY(open_fd(f.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    out = file.get();
  } else if (::isatty(STDOUT_FILENO)) {
    return fail_code(EINVAL, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(engine::find_container(eng, f.container));
  auto root = HUSK_TRY(engine::ContainerRoot::open_filesystem(eng, rec));
  HUSK_TRY_CTX(image::write_root_tar(root.fd(), out), "export " + f.container);
  eng.record_event(rec, "export");
  return 0;
}

}  // namespace

void add_commit(CLI::App& app, Invocation& inv) {
  auto f = std::make_shared<CommitFlags>();
  auto* c = app.add_subcommand("commit", "create a new image from a container's changes");
  c->add_option("-a,--author", f->author, "author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  add_multi(
      c, "-c,--change", f->changes,
      "apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR");
  c->add_option("-m,--message", f->message, "commit message");
  c->add_flag("-p,--pause", f->pause, "pause the container during commit (default true)");
  c->add_option("container", f->container, "container name or id")->required();
  c->add_option("name", f->name, "REPOSITORY[:TAG] (none: an untagged image)");
  c->callback([f, &inv] { inv.action = [f](const Context& ctx) { return commit(ctx, *f); }; });
}

void add_export(CLI::App& app, Invocation& inv) {
  auto f = std::make_shared<ExportFlags>();
  auto* c = app.add_subcommand("export", "export a container's filesystem as a tar archive");
  c->add_option("-o,--output", f->output, "write to a file, instead of stdout");
  c->add_option("container", f->container, "container name or id")->required();
  c->callback([f, &inv] { inv.action = [f](const Context& ctx) { return export_container(ctx, *f); }; });
}

}  // namespace husk::cli
