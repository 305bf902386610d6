// Template text into tokens, as Go's text/template lexer splits it: text
// between actions, and inside "{{ }}" fields, variables, identifiers,
// literals and punctuation. Comments go, and "{{- " / " -}}" trim the white
// space beside them here, so the parser never sees either.
#include <cctype>
#include <cstdint>

#include "engine/template_tree.hpp"

namespace husk::engine::tmpl {

namespace {

constexpr std::string_view kLeft = "{{", kRight = "}}";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80); }

// Go's escapes inside "..." and '...': \n \t \\ \" \x41 \101 \u00e9 \U0001f600 ...
std::optional<std::string> unescape(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (++i == body.size()) return std::nullopt;
    char c = body[i];
    static constexpr std::string_view kFrom = "abfnrtv\\\"'", kTo = "\a\b\f\n\r\t\v\\\"'";
    if (auto at = kFrom.find(c); at != std::string_view::npos) {
      out += kTo[at];
      continue;
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : (c >= '0' && c <= '7') ? 3 : 0;
    int base = (c >= '0' && c <= '7') ? 8 : 16;
    if (digits == 0) return std::nullopt;
    size_t start = base == 8 ? i : i + 1;
    if (start + static_cast<size_t>(digits) > body.size()) return std::nullopt;
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k) {
      char d = body[start + static_cast<size_t>(k)];
      int dv = std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
               : std::isxdigit(static_cast<unsigned char>(d))
                   ? std::tolower(static_cast<unsigned char>(d)) - 'a' + 10
                   : 99;
      if (dv >= base) return std::nullopt;
      v = v * static_cast<uint32_t>(base) + static_cast<uint32_t>(dv);
    }
    i = start + static_cast<size_t>(digits) - 1;
    if (c == 'x' || base == 8)
      out += static_cast<char>(v);  // a byte, as Go's \x and octal escapes
    else
      append_utf8(out, v);
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(const std::string& text) : s_(text) {}

  std::variant<std::vector<Token>, LexError> run() {
    while (pos_ < s_.size()) {
      if (auto err = lex_text()) return *err;
      if (pos_ < s_.size())
        if (auto err = lex_action()) return *err;
    }
    out_.push_back({Token::eof, "", s_.size()});
    return std::move(out_);
  }

 private:
  const std::string& s_;
  size_t pos_ = 0;
  bool trim_next_text_ = false;
  std::vector<Token> out_;

  bool at(std::string_view what, size_t p) const { return s_.compare(p, what.size(), what) == 0; }
  // " -}}": a right delimiter that trims the text after it.
  bool at_trim_right(size_t p) const {
    return p < s_.size() && is_space(s_[p]) && at("-", p + 1) && at(kRight, p + 2);
  }

  std::optional<LexError> lex_text() {
    size_t start = pos_;
    if (trim_next_text_)
      while (start < s_.size() && is_space(s_[start])) ++start;
    trim_next_text_ = false;
    size_t open = s_.find(kLeft, start);
    size_t end = open == std::string::npos ? s_.size() : open;
    size_t text_end = end;
    // "{{- " trims the white space before it.
    if (open != std::string::npos && at("-", open + 2) && open + 3 < s_.size() && is_space(s_[open + 3]))
      while (text_end > start && is_space(s_[text_end - 1])) --text_end;
    if (text_end > start) out_.push_back({Token::text, s_.substr(start, text_end - start), start});
    pos_ = end;
    return std::nullopt;
  }

  // From "{{" to its "}}".
  std::optional<LexError> lex_action() {
    size_t open = pos_;
    pos_ += kLeft.size();
    if (at("-", pos_) && pos_ + 1 < s_.size() && is_space(s_[pos_ + 1])) pos_ += 2;
    if (at("/*", pos_)) return lex_comment(open);
    out_.push_back({Token::left_delim, "", open});
    int parens = 0;
    while (true) {
      if (pos_ >= s_.size()) return LexError{"unclosed action", open};
      if (at_trim_right(pos_) || at(kRight, pos_)) {
        if (parens > 0) return LexError{"unclosed left paren", pos_};
        close_action();
        return std::nullopt;
      }
      char c = s_[pos_];
      size_t start = pos_;
      if (is_space(c)) {
        while (pos_ < s_.size() && is_space(s_[pos_]) && !at_trim_right(pos_)) ++pos_;
        out_.push_back({Token::space, "", start});
      } else if (c == '=') {
        ++pos_;
        out_.push_back({Token::assign, "=", start});
      } else if (c == ':') {
        if (!at(":=", pos_)) return LexError{"expected :=", pos_};
        pos_ += 2;
        out_.push_back({Token::declare, ":=", start});
      } else if (c == '|') {
        ++pos_;
        out_.push_back({Token::pipe, "|", start});
      } else if (c == ',') {
        ++pos_;
        out_.push_back({Token::comma, ",", start});
      } else if (c == '(') {
        ++pos_;
        ++parens;
        out_.push_back({Token::left_paren, "(", start});
      } else if (c == ')') {
        if (--parens < 0) return LexError{"unexpected right paren", start};
        ++pos_;
        out_.push_back({Token::right_paren, ")", start});
      } else if (c == '"' || c == '\'') {
        if (auto err = lex_quoted(c)) return err;
      } else if (c == '`') {
        size_t close = s_.find('`', pos_ + 1);
        if (close == std::string::npos) return LexError{"unterminated raw quoted string", start};
        out_.push_back({Token::string, s_.substr(pos_ + 1, close - pos_ - 1), start});
        pos_ = close + 1;
      } else if (c == '$' || (c == '.' && !(pos_ + 1 < s_.size() &&
                                            std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))))) {
        if (auto err = lex_field_or_variable(c)) return err;
      } else if (c == '.' || c == '+' || c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
        if (auto err = lex_number()) return err;
      } else if (is_alnum(c)) {
        if (auto err = lex_word()) return err;
      } else {
        return LexError{std::string("unrecognized character in action: '") + c + "'", start};
      }
    }
  }

  void close_action() {
    if (at_trim_right(pos_)) {
      pos_ += 2;
      trim_next_text_ = true;
    }
    out_.push_back({Token::right_delim, "", pos_});
    pos_ += kRight.size();
  }

  std::optional<LexError> lex_comment(size_t open) {
    size_t end = s_.find("*/", pos_ + 2);
    if (end == std::string::npos) return LexError{"unclosed comment", open};
    pos_ = end + 2;
    if (!at_trim_right(pos_) && !at(kRight, pos_))
      return LexError{"comment ends before closing delimiter", open};
    if (at_trim_right(pos_)) {
      pos_ += 2;
      trim_next_text_ = true;
    }
    pos_ += kRight.size();
    return std::nullopt;
  }

  std::optional<LexError> lex_quoted(char quote) {
    size_t start = pos_, i = pos_ + 1;
    for (; i < s_.size() && s_[i] != quote; ++i) {
      if (s_[i] == '\n') break;
      if (s_[i] == '\\') ++i;
    }
    if (i >= s_.size() || s_[i] != quote)
      return LexError{quote == '"' ? "unterminated quoted string" : "unterminated character constant", start};
    auto value = unescape(std::string_view(s_).substr(start + 1, i - start - 1));
    if (!value) return LexError{"invalid syntax: " + s_.substr(start, i + 1 - start), start};
    pos_ = i + 1;
    if (quote == '"') {
      out_.push_back({Token::string, *value, start});
      return std::nullopt;
    }
    // 'a' is a number: the character's code point.
    if (value->empty()) return LexError{"empty character constant", start};
    uint32_t cp = static_cast<unsigned char>((*value)[0]);
    if (cp >= 0x80) {
      int extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : 1;
      cp &= 0x3f >> extra;
      for (int k = 1; k <= extra && static_cast<size_t>(k) < value->size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>((*value)[static_cast<size_t>(k)]) & 0x3f);
    }
    out_.push_back({Token::number, std::to_string(cp), start});
    return std::nullopt;
  }

  // After a field, variable or word: what may follow it directly.
  bool at_terminator() const {
    if (pos_ >= s_.size() || is_space(s_[pos_])) return true;
    char c = s_[pos_];
    return c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(' || at(kRight, pos_) ||
           c == '=';
  }

  std::optional<LexError> lex_field_or_variable(char sigil) {
    size_t start = pos_++;
    while (pos_ < s_.size() && is_alnum(s_[pos_])) ++pos_;
    if (!at_terminator()) return LexError{std::string("bad character '") + s_[pos_] + "'", pos_};
    std::string name = s_.substr(start + 1, pos_ - start - 1);
    if (sigil == '$')
      out_.push_back({Token::variable, "$" + name, start});
    else
      out_.push_back({name.empty() ? Token::dot : Token::field, name, start});
    return std::nullopt;
  }

  std::optional<LexError> lex_number() {
    size_t start = pos_;
    if (s_[pos_] == '+' || s_[pos_] == '-') ++pos_;
    bool hex = at("0x", pos_) || at("0X", pos_);
    if (hex) pos_ += 2;
    auto digit = [&](char c) {
      return c == '_' || (hex ? std::isxdigit(static_cast<unsigned char>(c))
                              : std::isdigit(static_cast<unsigned char>(c)));
    };
    while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
    if (!hex && pos_ < s_.size() && s_[pos_] == '.')
      for (++pos_; pos_ < s_.size() && digit(s_[pos_]);) ++pos_;
    if (!hex && pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && is_alnum(s_[pos_])) {
      while (pos_ < s_.size() && is_alnum(s_[pos_])) ++pos_;
      return LexError{"bad number syntax: \"" + s_.substr(start, pos_ - start) + "\"", start};
    }
    out_.push_back({Token::number, s_.substr(start, pos_ - start), start});
    return std::nullopt;
  }

  std::optional<LexError> lex_word() {
    size_t start = pos_;
    while (pos_ < s_.size() && is_alnum(s_[pos_])) ++pos_;
    if (!at_terminator()) return LexError{std::string("bad character '") + s_[pos_] + "'", pos_};
    std::string w = s_.substr(start, pos_ - start);
    static constexpr std::string_view kKeywords[] = {"if",     "else",  "end",   "range",    "with",
                                                     "define", "block", "break", "continue", "template"};
    Token::Kind kind = Token::identifier;
    for (auto k : kKeywords)
      if (w == k) kind = Token::keyword;
    if (w == "true" || w == "false") kind = Token::boolean;
    if (w == "nil") kind = Token::nil;
    out_.push_back({kind, w, start});
    return std::nullopt;
  }
};

}  // namespace

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::variant<std::vector<Token>, LexError> lex(const std::string& text) { return Lexer(text).run(); }

}  // namespace husk::engine::tmpl
