// `husk version`, `husk info` (and `system info`), `husk system df` and
// `husk system prune`, as docker's; what they report and remove is the
// engine's (engine/system.hpp).
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>

#include "cli/husk/commands.hpp"
#include "cli/husk/image_json.hpp"

namespace husk::cli {

namespace {

using json = nlohmann::ordered_json;

// docker's --format for one document (version, info): "" prints the
// command's text, "json" the document, anything else is a template over it.
// A template that does not parse or fails is one error and
// kBadFormatStatus, before any output.
class DocumentFormat {
 public:
  static Result<DocumentFormat> parse(const std::string& format) {
    DocumentFormat f;
    f.format_ = format;
    if (!format.empty() && format != "json") f.tmpl_ = HUSK_TRY(engine::Template::parse(format));
    return f;
  }
  int print(const json& doc, const std::string& text) const {
    if (format_.empty()) {
      std::cout << text;
    } else if (!tmpl_) {
      std::cout << engine::go_json(doc) << "\n";
    } else {
      auto out = tmpl_->execute(doc);
      if (!out) return bad_format(out.error());
      std::cout << *out << "\n";
    }
    return 0;
  }

 private:
  std::string format_;
  std::optional<engine::Template> tmpl_;
};

Result<int> show_version(const std::string& format) {
  auto f = DocumentFormat::parse(format);
  if (!f) return bad_format(f.error());
  auto v = engine::version_info();
  return f->print(engine::to_json(v), engine::version_text(v));
}

Result<int> show_info(const Context& ctx, const std::string& format) {
  auto f = DocumentFormat::parse(format);  // before anything is read
  if (!f) return bad_format(f.error());
  auto eng = HUSK_TRY(open_engine(ctx));
  auto info = HUSK_TRY(engine::system_info(eng));
  return f->print(engine::to_json(info), engine::info_text(info));
}

// docker's df tables (cli/command/formatter/disk_usage.go).
constexpr const char* kDfTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
const json kDfHeader = {{"Type", "TYPE"},
                        {"TotalCount", "TOTAL"},
                        {"Active", "ACTIVE"},
                        {"Size", "SIZE"},
                        {"Reclaimable", "RECLAIMABLE"}};
constexpr const char* kDfImagesTable =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}"
    "\t{{.Containers}}";
const json kDfImagesHeader = {{"Repository", "REPOSITORY"},
                              {"Tag", "TAG"},
                              {"ID", "IMAGE ID"},
                              {"CreatedSince", "CREATED"},
                              {"Size", "SIZE"},
                              {"SharedSize", "SHARED SIZE"},
                              {"UniqueSize", "UNIQUE SIZE"},
                              {"Containers", "CONTAINERS"}};
constexpr const char* kDfContainersTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}"
    "\t{{.Names}}";
const json kDfContainersHeader = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"},
                                  {"Command", "COMMAND"}, {"LocalVolumes", "LOCAL VOLUMES"},
                                  {"Size", "SIZE"},       {"RunningFor", "CREATED"},
                                  {"Status", "STATUS"},   {"Names", "NAMES"}};
constexpr const char* kDfVolumesTable = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
const json kDfVolumesHeader = {{"Name", "VOLUME NAME"}, {"Links", "LINKS"}, {"Size", "SIZE"}};
constexpr const char* kDfCacheTable =
    "table "
    "{{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}";
const json kDfCacheHeader = {
    {"ID", "CACHE ID"},          {"CacheType", "CACHE TYPE"},    {"Size", "SIZE"},
    {"CreatedSince", "CREATED"}, {"LastUsedSince", "LAST USED"}, {"UsageCount", "USAGE"},
    {"Shared", "SHARED"}};

// -v: docker's four tables. An image is one row, under its first name.
Result<std::string> df_verbose(const engine::DiskUsage& du) {
  time_t now = std::time(nullptr);
  std::vector<json> images, containers, volumes;
  for (auto& i : du.images) {
    auto [repo, tag] = i.image.names.empty() ? std::pair<std::string, std::string>{"<none>", "<none>"}
                                             : repository_and_tag(i.image.names.front());
    images.push_back({{"Repository", repo},
                      {"Tag", tag},
                      {"ID", i.image.id().hex.substr(0, 12)},
                      {"CreatedSince", time_ago(i.image.config.created, now)},
                      {"Size", human_size(i.size)},
                      {"SharedSize", human_size(i.shared_size)},
                      {"UniqueSize", human_size(i.unique_size())},
                      {"Containers", std::to_string(i.containers)}});
  }
  for (auto& c : du.containers) {
    json row = engine::ps_row(c, true, now);
    row["Size"] = human_size(c.size_rw.value_or(0));  // the upper dir alone, as docker's df
    containers.push_back(std::move(row));
  }
  for (auto& v : du.volumes)
    volumes.push_back({{"Name", v.name}, {"Links", std::to_string(v.links)}, {"Size", human_size(v.size)}});
  std::string out = "Images space usage:\n\n";
  out += HUSK_TRY(engine::render_listing("", kDfImagesTable, kDfImagesHeader, images));
  out += "\nContainers space usage:\n\n";
  out += HUSK_TRY(engine::render_listing("", kDfContainersTable, kDfContainersHeader, containers));
  out += "\nLocal Volumes space usage:\n\n";
  out += HUSK_TRY(engine::render_listing("", kDfVolumesTable, kDfVolumesHeader, volumes));
  out += "\nBuild cache usage: 0B\n\n";
  out += HUSK_TRY(engine::render_listing("", kDfCacheTable, kDfCacheHeader, {}));
  return out;
}

Result<int> system_df(const Context& ctx, bool verbose, const std::string& format) {
  // docker's -v prints its own tables whatever --format says; a bad one is
  // still an error.
  auto listing = engine::Listing::parse(format, kDfTable, kDfHeader);
  if (!listing) return bad_format(listing.error());
  auto eng = HUSK_TRY(open_engine(ctx));
  auto du = HUSK_TRY(engine::disk_usage(eng));
  if (verbose) {
    std::cout << HUSK_TRY(df_verbose(du));
    return 0;
  }
  std::vector<json> rows;
  for (auto& s : engine::df_summary(du)) rows.push_back(engine::df_row(s));
  auto text = listing->render(rows);
  if (!text) return bad_format(text.error());
  std::cout << *text;
  return 0;
}

bool confirmed(const engine::SystemPruneOptions& opts) {
  std::string prompt = "WARNING! This will remove:\n";
  for (auto& w : engine::system_prune_warnings(opts)) prompt += "  - " + w + "\n";
  std::cout << prompt << "\nAre you sure you want to continue? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

Result<int> system_prune(const Context& ctx, engine::SystemPruneOptions opts, bool force,
                         const std::vector<std::string>& filters) {
  opts.filter = HUSK_TRY(prune_filter(filters));
  HUSK_TRY(engine::check_system_prune(opts));
  auto eng = HUSK_TRY(open_engine(ctx));
  if (!force && !confirmed(opts)) return 0;
  auto report = HUSK_TRY(engine::prune_system(eng, opts));
  print_pruned("Deleted Containers:", report.containers);
  print_pruned("Deleted Networks:", report.networks);
  print_pruned("Deleted Volumes:", report.volumes);
  print_pruned("Deleted Images:", report.images);
  std::cout << "Total reclaimed space: " << human_size(report.reclaimed()) << "\n";
  return 0;
}

// `info` and `system info` alike.
void add_info_to(CLI::App* parent, Invocation& inv) {
  auto format = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("info", "show what husk and this host are");
  c->add_option("-f,--format", *format, "a Go template over docker's info fields, or json");
  c->callback(
      [format, &inv] { inv.action = [format](const Context& ctx) { return show_info(ctx, *format); }; });
}

}  // namespace

void add_version(CLI::App& app, Invocation& inv) {
  auto format = std::make_shared<std::string>();
  auto* c = app.add_subcommand("version", "show husk's version, build and runtime");
  c->add_option("-f,--format", *format, "a Go template over docker's version fields, or json");
  c->callback([format, &inv] { inv.action = [format](const Context&) { return show_version(*format); }; });
}

void add_info(CLI::App& app, Invocation& inv) { add_info_to(&app, inv); }

void add_system(CLI::App& app, Invocation& inv) {
  auto* system = app.add_subcommand("system", "what husk uses of the host, and cleaning up");
  system->require_subcommand(1);
  add_info_to(system, inv);

  struct DfOptions {
    bool verbose = false;
    std::string format;
  };
  auto df = std::make_shared<DfOptions>();
  auto* d = system->add_subcommand("df", "show the disk space images, containers and volumes use");
  d->add_flag("-v,--verbose", df->verbose, "each image, container and volume");
  d->add_option("--format", df->format, "docker's table, json or a Go template per line");
  d->callback([df, &inv] {
    inv.action = [df](const Context& ctx) { return system_df(ctx, df->verbose, df->format); };
  });

  struct PruneOptions {
    engine::SystemPruneOptions opts;
    bool force = false;
    std::vector<std::string> filters;
  };
  auto prune = std::make_shared<PruneOptions>();
  auto* p = system->add_subcommand("prune", "remove stopped containers, unused networks and dangling images");
  p->add_flag("-a,--all", prune->opts.all, "every image no container uses, not only dangling ones");
  p->add_flag("--volumes", prune->opts.volumes, "unused volumes too");
  p->add_flag("-f,--force", prune->force, "do not ask");
  add_multi(p, "--filter", prune->filters, "until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]");
  p->callback([prune, &inv] {
    inv.action = [prune](const Context& ctx) {
      return system_prune(ctx, prune->opts, prune->force, prune->filters);
    };
  });
}

}  // namespace husk::cli
