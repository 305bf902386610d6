// docker's --format for commands that list things (ps, images, volume ls,
// network ls, stats, history): one template per row, "table ..." with a
// header line and columns aligned as docker's tabwriter aligns them, or
// "json" (each row as one line of JSON).
//
// How a command uses it (ps, say):
//
//   static constexpr const char* kPsTable = "table {{.ID}}\t{{.Image}}\t{{.Names}}";
//   const nlohmann::ordered_json kPsHeader = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Names",
//   "NAMES"}}; auto listing = HUSK_TRY(engine::Listing::parse(opts.format, kPsTable, kPsHeader));  // before
//   any output std::vector<nlohmann::ordered_json> rows = ...;  // {"ID": "0123456789ab", "Image": "busybox",
//   ...} std::cout << HUSK_TRY(listing.render(rows));                  // nothing printed on an error
//
// Rows carry docker's field names with the values already as docker shows
// them (sizes "1.2MB", times "2 hours ago"); the header maps each field to its
// column's title. A bad template fails parse (EINVAL, "template parsing
// error: template: :1: ..."); a template that fails on a row fails render,
// before anything is printed.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/template.hpp"

namespace husk::engine {

class Listing {
 public:
  // FORMAT as the user gave it. "" and "table" mean DEFAULT_TABLE (the
  // command's own "table {{.ID}}\t..."); "json" means each row as JSON;
  // "table TEMPLATE" a header and aligned rows; anything else a template per
  // row. As docker, the literal two characters \t and \n become a tab and a
  // newline, and spaces around the template are dropped.
  static Result<Listing> parse(const std::string& format, const std::string& default_table,
                               nlohmann::ordered_json header);

  // A method-like field ({{.Label "com.x"}}): ROW called on each row,
  // HEADER on the header (its column's title).
  void add_method(const std::string& name, TemplateMethod row, TemplateMethod header) {
    row_methods_[name] = std::move(row);
    header_methods_[name] = std::move(header);
  }

  bool is_table() const { return mode_ == Mode::table; }
  bool is_json() const { return mode_ == Mode::json; }

  // ROWS as the user asked: each row's line ends in a newline; a table starts
  // with its header line (even with no rows, as docker's).
  Result<std::string> render(const std::vector<nlohmann::ordered_json>& rows) const;

 private:
  enum class Mode { table, json, rows };
  Listing(Mode mode, std::optional<Template> tmpl, nlohmann::ordered_json header)
      : mode_(mode), tmpl_(std::move(tmpl)), header_(std::move(header)) {}
  Mode mode_;
  std::optional<Template> tmpl_;  // none in json mode
  nlohmann::ordered_json header_;
  std::map<std::string, TemplateMethod> row_methods_, header_methods_;
};

// Listing::parse(...) then render(ROWS), for a command that has its rows first.
Result<std::string> render_listing(const std::string& format, const std::string& default_table,
                                   const nlohmann::ordered_json& header,
                                   const std::vector<nlohmann::ordered_json>& rows);

// Go's text/tabwriter with docker's settings (minimum cell width 10, padding
// 3, spaces): tab-terminated cells of consecutive lines form a column, padded
// to its widest cell; a line's text after its last tab is not padded.
std::string align_columns(const std::string& text, size_t min_width = 10, size_t padding = 3);

// Values as docker's lists show them.
// units.HumanDuration: "Less than a second", "3 seconds", "About a minute", "2 hours".
std::string human_duration(double seconds);
// "3 hours ago" (human_duration), from an RFC 3339 time; "N/A" for none.
std::string time_ago(const std::string& rfc3339, time_t now);
// "2024-01-02 03:04:05 +0000 UTC" (Go's time.String), from an RFC 3339 time.
std::string docker_time(const std::string& rfc3339);
// "2024-01-02T03:04:05.123Z" (or with "+02:00") as seconds since the epoch.
std::optional<time_t> parse_rfc3339_seconds(const std::string& rfc3339);
// docker's sizes: "1.5MB" (decimal: images, block I/O) and "1.5MiB" (memory).
std::string human_size(uint64_t bytes);
std::string binary_size(uint64_t bytes);

}  // namespace husk::engine
