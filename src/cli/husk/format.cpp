// docker's --format at the command line: inspect's (over whole documents).
// Lists format with engine/listing.hpp.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/husk/commands.hpp"
#include "engine/template.hpp"

namespace husk::cli {

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

}  // namespace husk::cli
