// docker's --format over one JSON document: engine/template.hpp's subset of
// Go templates; "json" alone prints the document itself.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/husk/commands.hpp"
#include "engine/template.hpp"

namespace husk::cli {

std::string format_json(const std::string& tmpl, const std::string& json_text) {
  auto doc = nlohmann::ordered_json::parse(json_text, nullptr, false);
  if (tmpl == "json") return doc.dump();
  auto out = engine::render_template(tmpl, doc);
  return out ? *out : out.error().what();
}

namespace {

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

std::string binary_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  return scaled(static_cast<double>(bytes), 1024, kUnits, 5);
}

}  // namespace husk::cli
