// `husk cp [-a] [-L] SRC DST`: one side is CONTAINER:PATH (in or out, files
// and directories, as docker cp); see engine/copy.hpp for how the
// container's side stays inside its root.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "base/fd.hpp"
#include "base/file.hpp"
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

// A directory of the store's tmp/, removed with what it holds.
class ScratchDir {
 public:
  static Result<ScratchDir> make(const std::string& store_root) {
    std::string path = store_root + "/tmp/cp-XXXXXX";
    if (!::mkdtemp(path.data())) return fail_errno("mkdtemp " + path);
    return ScratchDir(std::move(path));
  }
  ScratchDir(ScratchDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir() {
    if (!path_.empty()) (void)remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// docker cp's "-": a tar stream on our stdout (CONTAINER:SRC -) or stdin
// (- CONTAINER:DEST, DEST an existing directory). It passes through a
// scratch directory, so the copy out of or into the container is still
// copy_path's, resolved inside its root.
Result<int> cp_stream(const Context& ctx, const CpOptions& o, const CpArg& src, const CpArg& dst) {
  const CpArg& side = o.dst == "-" ? src : dst;
  if (side.container.empty() || (o.src == "-" && o.dst == "-"))
    return fail_code(EINVAL, "cp: with \"-\", the other side must be CONTAINER:PATH");
  if (!ctx.tar.write || !ctx.tar.read) return fail_code(ENOTSUP, "cp: tar streams are husk-full's");
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(eng.containers().find(side.container));
  auto root = HUSK_TRY(engine::ContainerRoot::open(eng, rec));
  std::string path = side.path.empty() ? "/" : side.path;
  auto lock = HUSK_TRY(eng.images().lock_content_shared());  // gc clears tmp/
  auto scratch = HUSK_TRY(ScratchDir::make(eng.images().root()));
  engine::CopyOptions opts;
  opts.follow_link = o.follow_link;
  if (o.dst == "-") {
    HUSK_TRY_CTX(engine::copy_path({root.fd(), path}, {-1, scratch.path()}, opts), "cp " + o.src);
    HUSK_TRY_CTX(ctx.tar.write(scratch.path(), STDOUT_FILENO), "cp " + o.src);
    return 0;
  }
  auto at = open_in_root(root.fd(), path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!at && at.error().err() == ENOENT)
    return fail_code(ENOENT, "Could not find the file " + path + " in container " + side.container);
  if (!at && at.error().err() == ENOTDIR) return fail_code(ENOTDIR, "extraction point is not a directory");
  HUSK_TRY(std::move(at));
  HUSK_TRY_CTX(ctx.tar.read(STDIN_FILENO, scratch.path()), "cp - " + o.dst);
  if (!o.archive) opts.owner = root.root_owner();
  HUSK_TRY_CTX(engine::copy_path({-1, scratch.path() + "/."}, {root.fd(), path}, opts), "cp - " + o.dst);
  return 0;
}

Result<int> cp(const Context& ctx, const CpOptions& o) {
  CpArg src = split_arg(o.src), dst = split_arg(o.dst);
  if (o.src == "-" || o.dst == "-") return cp_stream(ctx, o, src, dst);
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
  c->add_option("src", o->src, "CONTAINER:PATH, a host path, or - (a tar stream on stdin)")->required();
  c->add_option("dst", o->dst, "CONTAINER:PATH, a host path, or - (a tar stream to stdout)")->required();
  c->footer("A container's paths are resolved inside its root: its symlinks cannot lead out of it.");
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return cp(ctx, *o); }; });
}

}  // namespace husk::cli
