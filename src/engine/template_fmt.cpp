// Go's fmt over JSON values, as templates print them: %v for {{.X}}, print,
// println and printf's verbs (%s %d %v %q %x %X %o %b %c %U %e %f %g %t %T
// with flags, width and precision), and docker's json function.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/strings.hpp"
#include "engine/template.hpp"
#include "engine/template_tree.hpp"

namespace husk::engine {

namespace tmpl {

namespace {

size_t rune_count(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The shortest digits of |V| that read back as V, and its decimal exponent
// (V = 0.DIGITS x 10^(EXP+1), i.e. d.ddd x 10^EXP).
std::pair<std::string, int> shortest_digits(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string s(buf, r.ptr);
  size_t e = s.find('e');
  std::string digits = s.substr(0, e);
  std::erase(digits, '.');
  return {digits, std::stoi(s.substr(e + 1))};
}

std::string exponent_form(const std::string& digits, int exp, bool upper) {
  std::string out = digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%c%02d", upper ? 'E' : 'e', exp < 0 ? '-' : '+', std::abs(exp));
  return out + buf;
}

std::string plain_form(const std::string& digits, int exp) {
  if (exp < 0) return "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  if (static_cast<size_t>(exp) + 1 >= digits.size())
    return digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  return digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
}

// Go's json float: plain unless tiny or huge, then 1e-07 style.
std::string json_float(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";
  auto [digits, exp] = shortest_digits(v);
  std::string sign = v < 0 ? "-" : "";
  double a = std::fabs(v);
  if (a < 1e-6 || a >= 1e21) {
    std::string e = exponent_form(digits, exp, false);
    // Go writes e-07 as e-07 and e+21 as e+21: two digits at least, as printf.
    return sign + e;
  }
  return sign + plain_form(digits, exp);
}

void write_json(const json& v, std::string& out) {
  switch (v.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto& [k, e] : v.items()) {
        if (!first) out += ',';
        first = false;
        out += json(k).dump(-1, ' ', false, json::error_handler_t::replace);
        out += ':';
        write_json(e, out);
      }
      out += '}';
      break;
    }
    case json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        write_json(v[i], out);
      }
      out += ']';
      break;
    }
    case json::value_t::number_float:
      out += json_float(v.get<double>());
      break;
    default:
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

// strconv.Quote: Go's escapes, printable UTF-8 kept.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    static constexpr std::string_view kFrom = "\a\b\f\n\r\t\v\\\"", kTo = "abfnrtv\\\"";
    if (auto at = kFrom.find(c); at != std::string_view::npos) {
      out += '\\';
      out += kTo[at];
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// One printf directive: %[flags][width][.precision]verb.
struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1, precision = -1;
  char verb = 'v';
};

// TEXT padded to the width, as Go pads: spaces on the left (or right with
// '-'), zeros after the sign with '0'.
std::string pad(std::string text, const Spec& sp, bool numeric) {
  size_t n = rune_count(text);
  if (sp.width < 0 || n >= static_cast<size_t>(sp.width)) return text;
  size_t fill = static_cast<size_t>(sp.width) - n;
  if (sp.minus) return text + std::string(fill, ' ');
  if (sp.zero) {
    size_t at = numeric && !text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ') ? 1 : 0;
    return text.insert(at, std::string(fill, '0'));
  }
  return std::string(fill, ' ') + text;
}

std::string bad_verb(const Spec& sp, const json& v) {
  if (v.is_null()) return std::string("%!") + sp.verb + "(<nil>)";
  return std::string("%!") + sp.verb + "(" + go_type(v) + "=" + go_text(v) + ")";
}

std::string format_integer(const Spec& sp, const json& v) {
  bool neg = !v.is_number_unsigned() && v.get<long long>() < 0;
  unsigned long long mag = v.is_number_unsigned() ? v.get<unsigned long long>()
                           : neg                  ? 0ULL - static_cast<unsigned long long>(v.get<long long>())
                                                  : static_cast<unsigned long long>(v.get<long long>());
  std::string body, prefix;
  switch (sp.verb) {
    case 'd':
    case 'v':
      body = std::to_string(mag);
      break;
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X': {
      int base = sp.verb == 'b' ? 2 : (sp.verb == 'o' || sp.verb == 'O') ? 8 : 16;
      char buf[72];
      auto r = std::to_chars(buf, buf + sizeof buf, mag, base);
      body.assign(buf, r.ptr);
      if (sp.verb == 'X') body = to_upper(body);
      if (sp.verb == 'O') prefix = "0o";
      if (sp.sharp)
        prefix = sp.verb == 'b'   ? "0b"
                 : sp.verb == 'x' ? "0x"
                 : sp.verb == 'X' ? "0X"
                                  : (body == "0" ? "" : "0");
      break;
    }
    case 'c': {
      std::string s;
      append_utf8(s, static_cast<uint32_t>(mag));
      return pad(s, sp, false);
    }
    case 'q': {
      std::string s = "'";
      append_utf8(s, static_cast<uint32_t>(mag));
      return pad(s + "'", sp, false);
    }
    case 'U': {
      char buf[32];
      std::snprintf(buf, sizeof buf, "U+%04llX", mag);
      return pad(buf, sp, false);
    }
    default:
      return bad_verb(sp, v);
  }
  if (sp.precision >= 0 && body.size() < static_cast<size_t>(sp.precision))
    body.insert(0, static_cast<size_t>(sp.precision) - body.size(), '0');
  std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  Spec padding = sp;
  if (sp.precision >= 0) padding.zero = false;  // Go: a precision turns zero padding off
  return pad(sign + prefix + body, padding, true);
}

std::string format_float(const Spec& sp, double d) {
  if (sp.verb == 'v' || ((sp.verb == 'g' || sp.verb == 'G') && sp.precision < 0)) {
    std::string s = go_float(d);
    if (sp.verb == 'G') s = to_upper(s);
    if (d >= 0 && sp.plus)
      s = "+" + s;
    else if (d >= 0 && sp.space)
      s = " " + s;
    return pad(s, sp, true);
  }
  std::string fmt = "%";
  if (sp.plus) fmt += '+';
  if (sp.space) fmt += ' ';
  if (sp.sharp) fmt += '#';
  fmt += ".*";
  fmt += sp.verb == 'F' ? 'f' : sp.verb;
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt.c_str(), sp.precision < 0 ? 6 : sp.precision, d);
  return pad(buf, sp, true);
}

std::string format_string(const Spec& sp, std::string s) {
  switch (sp.verb) {
    case 'v':
    case 's':
      if (sp.precision >= 0) {
        size_t runes = 0, i = 0;
        for (; i < s.size(); ++i)
          if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80 &&
              runes++ == static_cast<size_t>(sp.precision))
            break;
        s.resize(i);
      }
      return pad(s, sp, false);
    case 'q':
      return pad(go_quote(s), sp, false);
    case 'x':
    case 'X': {
      std::string out;
      for (size_t i = 0; i < s.size(); ++i) {
        if (sp.space && i) out += ' ';
        char buf[4];
        std::snprintf(buf, sizeof buf, sp.verb == 'x' ? "%02x" : "%02X", static_cast<unsigned char>(s[i]));
        out += buf;
      }
      return pad(out, sp, false);
    }
    default:
      return bad_verb(sp, json(s));
  }
}

std::string format_value(const Spec& sp, const json& v) {
  if (sp.verb == 'T') return pad(go_type(v), sp, false);
  switch (v.type()) {
    case json::value_t::null:
      return sp.verb == 'v' ? pad("<nil>", sp, false) : bad_verb(sp, v);
    case json::value_t::boolean:
      return sp.verb == 'v' || sp.verb == 't' ? pad(v.get<bool>() ? "true" : "false", sp, false)
                                              : bad_verb(sp, v);
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return format_integer(sp, v);
    case json::value_t::number_float:
      if (std::string_view("veEfFgG").find(sp.verb) == std::string_view::npos) return bad_verb(sp, v);
      return format_float(sp, v.get<double>());
    case json::value_t::string:
      return format_string(sp, v.get<std::string>());
    case json::value_t::array: {
      // Go applies the verb (and width) to each element.
      std::vector<std::string> parts;
      for (auto& e : v) parts.push_back(format_value(sp, e));
      return "[" + husk::join(parts, " ") + "]";
    }
    default: {
      std::vector<std::string> keys;
      for (auto& [k, _] : v.items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      std::vector<std::string> parts;
      for (auto& k : keys) parts.push_back(format_value(sp, json(k)) + ":" + format_value(sp, v[k]));
      return "map[" + husk::join(parts, " ") + "]";
    }
  }
}

// Reads "[flags][width][.precision]" at FORMAT[I]; I ends on the verb.
Spec read_spec(const std::string& format, size_t& i) {
  Spec sp;
  for (; i < format.size(); ++i) {
    char c = format[i];
    if (c == '-')
      sp.minus = true;
    else if (c == '+')
      sp.plus = true;
    else if (c == '#')
      sp.sharp = true;
    else if (c == ' ')
      sp.space = true;
    else if (c == '0')
      sp.zero = !sp.minus;
    else
      break;
  }
  auto number = [&]() {
    int n = -1;
    while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])))
      n = std::max(n, 0) * 10 + (format[i++] - '0');
    return n;
  };
  sp.width = number();
  if (i < format.size() && format[i] == '.') {
    ++i;
    sp.precision = std::max(number(), 0);
  }
  return sp;
}

}  // namespace

std::string go_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  auto [digits, exp] = shortest_digits(v);
  std::string sign = v < 0 ? "-" : "";
  if (exp < -4 || exp >= 6) return sign + exponent_form(digits, exp, false);  // strconv's shortest %g
  return sign + plain_form(digits, exp);
}

std::string sprint(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    // Go puts a space between operands when neither is a string.
    if (i > 0 && !args[i].get().is_string() && !args[i - 1].get().is_string()) out += ' ';
    out += go_text(args[i].get());
  }
  return out;
}

std::string sprintln(const std::vector<Value>& args) {
  std::vector<std::string> parts;
  for (auto& a : args) parts.push_back(go_text(a.get()));
  return husk::join(parts, " ") + "\n";
}

std::string sprintf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  size_t next_arg = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    ++i;
    Spec sp = read_spec(format, i);
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    sp.verb = format[i];
    if (sp.verb == '%') {
      out += '%';
      continue;
    }
    if (next_arg >= args.size()) {
      out += std::string("%!") + sp.verb + "(MISSING)";
      continue;
    }
    out += format_value(sp, args[next_arg++].get());
  }
  if (next_arg < args.size()) {
    std::vector<std::string> extra;
    for (; next_arg < args.size(); ++next_arg) {
      const json& v = args[next_arg].get();
      extra.push_back(v.is_null() ? "<nil>" : go_type(v) + "=" + go_text(v));
    }
    out += "%!(EXTRA " + husk::join(extra, ", ") + ")";
  }
  return out;
}

}  // namespace tmpl

std::string go_text(const nlohmann::ordered_json& v) { return tmpl::format_value(tmpl::Spec{}, v); }

std::string go_json(const nlohmann::ordered_json& v) {
  std::string out;
  tmpl::write_json(v, out);
  return out;
}

}  // namespace husk::engine
