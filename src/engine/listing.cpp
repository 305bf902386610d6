#include "engine/listing.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/time.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// docker's preparation of a --format: the literal \t and \n typed in a shell
// become a tab and a newline; spaces around it go.
std::string prepared(std::string format) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size() && (format[i + 1] == 't' || format[i + 1] == 'n')) {
      out += format[++i] == 't' ? '\t' : '\n';
    } else {
      out += format[i];
    }
  }
  size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

struct Cell {
  std::string text;
  size_t width;  // in characters (UTF-8 code points)
};

size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The elastic tabstops of Go's tabwriter: a column is a run of consecutive
// lines that all have a tab-terminated cell at that index.
class Aligner {
 public:
  Aligner(const std::string& text, size_t min_width, size_t padding)
      : min_width_(min_width), padding_(padding) {
    size_t start = 0;
    while (true) {
      size_t nl = text.find('\n', start);
      std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      std::vector<Cell> cells;
      size_t from = 0;
      for (size_t tab; (tab = line.find('\t', from)) != std::string::npos; from = tab + 1)
        cells.push_back(cell(line.substr(from, tab - from)));
      cells.push_back(cell(line.substr(from)));
      lines_.push_back(std::move(cells));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }

  std::string run() {
    std::vector<size_t> widths;
    format(0, lines_.size(), widths);
    return std::move(out_);
  }

 private:
  size_t min_width_, padding_;
  std::vector<std::vector<Cell>> lines_;
  std::string out_;

  static Cell cell(std::string s) {
    size_t w = display_width(s);
    return {std::move(s), w};
  }
  // Does LINE have a tab-terminated cell in COLUMN? (Its last cell never is.)
  bool has_column(size_t line, size_t column) const { return column + 1 < lines_[line].size(); }

  void format(size_t line0, size_t line1, std::vector<size_t>& widths) {
    size_t column = widths.size();
    for (size_t at = line0; at < line1; ++at) {
      if (!has_column(at, column)) continue;
      write_lines(line0, at, widths);
      line0 = at;
      size_t width = min_width_;
      for (; at < line1 && has_column(at, column); ++at)
        width = std::max(width, lines_[at][column].width + padding_);
      widths.push_back(width);
      format(line0, at, widths);
      widths.pop_back();
      line0 = at;
    }
    write_lines(line0, line1, widths);
  }

  void write_lines(size_t line0, size_t line1, const std::vector<size_t>& widths) {
    for (size_t i = line0; i < line1; ++i) {
      auto& cells = lines_[i];
      for (size_t j = 0; j < cells.size(); ++j) {
        out_ += cells[j].text;
        if (j < widths.size()) out_.append(widths[j] - cells[j].width, ' ');
      }
      if (i + 1 < lines_.size()) out_ += '\n';
    }
  }
};

}  // namespace

std::string align_columns(const std::string& text, size_t min_width, size_t padding) {
  return Aligner(text, min_width, padding).run();
}

Result<Listing> Listing::parse(const std::string& format, const std::string& default_table, json header) {
  std::string f = format.empty() || format == "table" ? default_table : format;
  if (f == "json") return Listing(Mode::json, std::nullopt, std::move(header));
  // As docker: anything that starts with "table" is one.
  bool table = f.starts_with("table");
  auto tmpl = HUSK_TRY(Template::parse(prepared(table ? f.substr(5) : f)));
  return Listing(table ? Mode::table : Mode::rows, std::move(tmpl), std::move(header));
}

Result<std::string> Listing::render(const std::vector<json>& rows) const {
  std::string out;
  if (mode_ == Mode::json) {
    for (auto& r : rows) out += go_json(r) + "\n";
    return out;
  }
  if (mode_ == Mode::table)
    out += HUSK_TRY(tmpl_->execute(header_, {.header = true, .methods = &header_methods_})) + "\n";
  for (auto& r : rows) out += HUSK_TRY(tmpl_->execute(r, {.methods = &row_methods_})) + "\n";
  return mode_ == Mode::table ? align_columns(out) : out;
}

Result<std::string> render_listing(const std::string& format, const std::string& default_table,
                                   const json& header, const std::vector<json>& rows) {
  auto listing = HUSK_TRY(Listing::parse(format, default_table, header));
  return listing.render(rows);
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

std::optional<time_t> parse_rfc3339_seconds(const std::string& t) {
  auto nanos = parse_rfc3339_nanos(t);
  if (!nanos) return std::nullopt;
  return static_cast<time_t>(*nanos / 1000000000);
}

std::string human_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  return scaled(static_cast<double>(bytes), 1000, kUnits, 5);
}

std::string binary_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  return scaled(static_cast<double>(bytes), 1024, kUnits, 5);
}

std::string human_duration(double secs) {
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  if (secs < 1) return "Less than a second";
  if (secs < 2) return "1 second";
  if (secs < 60) return n(secs) + " seconds";
  if (secs / 60 < 2) return "About a minute";
  if (secs / 60 < 60) return n(secs / 60) + " minutes";
  if (secs / 3600 < 1.5) return "About an hour";
  if (secs / 3600 < 48) return n(secs / 3600 + 0.5) + " hours";
  if (secs / 3600 < 24 * 7 * 2) return n(secs / 86400) + " days";
  if (secs / 3600 < 24 * 30 * 2) return n(secs / 86400 / 7) + " weeks";
  if (secs / 3600 < 24 * 365 * 2) return n(secs / 86400 / 30) + " months";
  return n(secs / 86400 / 365) + " years";
}

std::string time_ago(const std::string& rfc3339, time_t now) {
  auto at = parse_rfc3339_seconds(rfc3339);
  if (!at || *at <= 0) return "N/A";
  return human_duration(std::difftime(now, *at)) + " ago";
}

std::string docker_time(const std::string& rfc3339) {
  auto at = parse_rfc3339_seconds(rfc3339);
  if (!at) return rfc3339;
  struct tm tm {};
  gmtime_r(&*at, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

}  // namespace husk::engine
