// docker's --format at the command line: inspect's (over whole documents)
// and the helpers lists share (sizes, times as docker shows them). Lists
// format with engine/listing.hpp.
#include <cstdio>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "cli/husk/commands.hpp"
#include "engine/template.hpp"

namespace husk::cli {

std::string format_json(const std::string& tmpl, const std::string& json_text) {
  auto doc = nlohmann::ordered_json::parse(json_text, nullptr, false);
  if (tmpl == "json") return doc.dump();
  auto out = engine::render_template(tmpl, doc);
  return out ? *out : out.error().what();
}

InspectFormat::InspectFormat(std::string format, std::optional<engine::Template> tmpl)
    : format_(std::move(format)), tmpl_(std::move(tmpl)) {}

Result<InspectFormat> InspectFormat::parse(const std::string& format) {
  if (format.empty() || format == "json") return InspectFormat(format, std::nullopt);
  return InspectFormat(format, HUSK_TRY(engine::Template::parse(format)));
}

int InspectFormat::print(const std::vector<nlohmann::ordered_json>& docs) const {
  if (!tmpl_) {
    std::cout << nlohmann::ordered_json(docs).dump(format_.empty() ? 4 : -1) << "\n";
    return 0;
  }
  // As docker: every document the template can format is printed, then the
  // errors of those it cannot.
  std::string out;
  std::vector<std::string> errors;
  for (auto& d : docs) {
    auto text = tmpl_->execute(d);
    if (text)
      out += *text + "\n";
    else
      errors.push_back(text.error().what());
  }
  std::cout << out << std::flush;
  for (auto& e : errors) std::fprintf(stderr, "husk: %s\n", e.c_str());
  return errors.empty() ? 0 : 1;
}

int bad_format(const Error& e) {
  std::fprintf(stderr, "husk: %s\n", e.what().c_str());
  return kBadFormatStatus;
}

namespace {

// An RFC 3339 time as seconds since the epoch; nullopt if it is not one.
std::optional<time_t> parse_rfc3339(const std::string& t) {
  auto nanos = parse_rfc3339_nanos(t);
  if (!nanos) return std::nullopt;
  return static_cast<time_t>(*nanos / 1000000000);
}

std::string scaled(double v, double base, const char* const* units, int count) {
  int u = 0;
  while (v >= base && u < count - 1) {
    v /= base;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
  return buf;
}

}  // namespace

std::string human_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  return scaled(static_cast<double>(bytes), 1000, kUnits, 5);
}

std::string time_ago(const std::string& rfc3339, time_t now) {
  auto at = parse_rfc3339(rfc3339);
  if (!at || *at <= 0) return "N/A";
  double secs = std::difftime(now, *at);
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  std::string d;
  // docker's units.HumanDuration.
  if (secs < 1)
    d = "Less than a second";
  else if (secs < 2)
    d = "1 second";
  else if (secs < 60)
    d = n(secs) + " seconds";
  else if (secs / 60 < 2)
    d = "About a minute";
  else if (secs / 60 < 60)
    d = n(secs / 60) + " minutes";
  else if (secs / 3600 < 1.5)
    d = "About an hour";
  else if (secs / 3600 < 48)
    d = n(secs / 3600 + 0.5) + " hours";
  else if (secs / 3600 < 24 * 7 * 2)
    d = n(secs / 86400) + " days";
  else if (secs / 3600 < 24 * 30 * 2)
    d = n(secs / 86400 / 7) + " weeks";
  else if (secs / 3600 < 24 * 365 * 2)
    d = n(secs / 86400 / 30) + " months";
  else
    d = n(secs / 86400 / 365) + " years";
  return d + " ago";
}

std::string docker_time(const std::string& rfc3339) {
  auto at = parse_rfc3339(rfc3339);
  if (!at) return rfc3339;
  struct tm tm {};
  gmtime_r(&*at, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

std::string binary_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  return scaled(static_cast<double>(bytes), 1024, kUnits, 5);
}

}  // namespace husk::cli
