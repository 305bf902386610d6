// `husk cp [-a] [-L] SRC DST`: one side is CONTAINER:PATH (in or out, files
// and directories, as docker cp); see engine/copy.hpp for how the
// container's side stays inside its root.
#include "cli/husk/commands.hpp"
#include "engine/copy.hpp"

namespace husk::cli {

namespace {

struct CpOptions {
  std::string src, dst;
  bool archive = false, follow_link = false;
};

// docker's rule: CONTAINER:PATH unless the argument is a local path
// (absolute, or relative starting with ".", or without a colon).
struct CpArg {
  std::string container, path;
};
CpArg split_arg(const std::string& a) {
  auto colon = a.find(':');
  if (a.starts_with("/") || a.starts_with(".") || colon == std::string::npos || a.find('/') < colon)
    return {"", a};
  return {a.substr(0, colon), a.substr(colon + 1)};
}

Result<int> cp(const Context& ctx, const CpOptions& o) {
  CpArg src = split_arg(o.src), dst = split_arg(o.dst);
  if (o.src == "-" || o.dst == "-")
    return fail_code(EINVAL, "cp: tar streams on stdin/stdout (\"-\") are not supported by husk yet");
  if (src.container.empty() == dst.container.empty())
    return fail_code(EINVAL, src.container.empty() ? "cp: one of SRC and DST must be CONTAINER:PATH"
                                                   : "cp: copying between containers is not supported");
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(eng.containers().find(src.container.empty() ? dst.container : src.container));
  auto root = HUSK_TRY(engine::ContainerRoot::open(eng, rec));
  engine::CopyOptions opts;
  opts.follow_link = o.follow_link;
  engine::CopySide from{-1, src.path}, to{-1, dst.path};
  if (!src.container.empty()) {
    from.root = root.fd();
    if (from.path.empty()) from.path = "/";
  } else {
    to.root = root.fd();
    if (to.path.empty()) to.path = "/";
    // Into the container: owned by its root unless -a keeps the source's ids.
    if (!o.archive) opts.owner = root.root_owner();
  }
  HUSK_TRY_CTX(engine::copy_path(from, to, opts), "cp " + o.src + " " + o.dst);
  return 0;
}

}  // namespace

void add_cp(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<CpOptions>();
  auto* c = app.add_subcommand("cp", "copy files and directories between a container and the host");
  c->add_flag("-a,--archive", o->archive, "keep the source's uid/gid (into a container)");
  c->add_flag("-L,--follow-link", o->follow_link, "copy what a symlink SRC points at");
  c->add_option("src", o->src, "CONTAINER:PATH or a host path")->required();
  c->add_option("dst", o->dst, "CONTAINER:PATH or a host path")->required();
  c->footer("A container's paths are resolved inside its root: its symlinks cannot lead out of it.");
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return cp(ctx, *o); }; });
}

}  // namespace husk::cli
