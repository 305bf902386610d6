// Tokens into the tree, with Go's grammar and Go's parse-time checks: a
// function must exist, a variable must be declared in an enclosing scope,
// {{break}} must be inside a {{range}}, every block must meet its {{end}}.
#include <algorithm>
#include <cstdlib>

#include "engine/template.hpp"
#include "engine/template_tree.hpp"

namespace husk::engine::tmpl {

Error parse_error(const std::string& source, size_t pos, const std::string& message) {
  size_t line =
      1 + static_cast<size_t>(std::count(
              source.begin(), source.begin() + static_cast<long>(std::min(pos, source.size())), '\n'));
  return Error(EINVAL, "template parsing error: template: :" + std::to_string(line) + ": " + message, false,
               ErrorKind::invalid_argument);
}

namespace {

// How an item list ended: at {{end}} or at {{else}} ("{{else if": chained).
struct ListEnd {
  enum Kind { end, else_ } kind;
  size_t pos;
  std::string chained;  // "if" / "with" after else
};

// A token as Go's errors name it: keywords as <if>, text quoted.
std::string describe(const Token& t) {
  switch (t.kind) {
    case Token::eof:
      return "EOF";
    case Token::keyword:
      return "<" + t.val + ">";
    case Token::left_delim:
      return "\"{{\"";
    case Token::right_delim:
      return "\"}}\"";
    case Token::space:
      return "space";
    case Token::dot:
      return "<.>";
    case Token::field:
      return "<." + t.val + ">";
    default: {
      // Go quotes the token, cut at 10 bytes.
      std::string quoted = "\"";
      quoted.append(t.val, 0, std::min<size_t>(t.val.size(), 10));
      quoted += t.val.size() > 10 ? "\"..." : "\"";
      return quoted;
    }
  }
}

std::optional<json> number_value(std::string text) {
  std::erase(text, '_');
  bool neg = !text.empty() && text[0] == '-';
  std::string body = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? text.substr(1) : text;
  bool hex = body.starts_with("0x") || body.starts_with("0X");
  if (!hex && body.find_first_of(".eE") != std::string::npos) {
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return json(d);
  }
  int base = hex ? 16 : 10;
  if (hex) {
    body = body.substr(2);
  } else if (body.starts_with("0o") || body.starts_with("0O")) {
    base = 8, body = body.substr(2);
  } else if (body.starts_with("0b") || body.starts_with("0B")) {
    base = 2, body = body.substr(2);
  } else if (body.size() > 1 && body[0] == '0') {
    base = 8;
  }
  if (body.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long u = std::strtoull(body.c_str(), &end, base);
  if (end != body.c_str() + body.size() || errno == ERANGE) return std::nullopt;
  if (!neg) return u <= 0x7fffffffffffffffULL ? json(static_cast<long long>(u)) : json(u);
  if (u > 0x8000000000000000ULL) return std::nullopt;
  return json(static_cast<long long>(0 - u));
}

class Parser {
 public:
  Parser(const std::string& source, std::vector<Token> tokens, Tree& tree)
      : src_(source), toks_(std::move(tokens)), tree_(tree) {}

  Result<void> parse() {
    while (peek().kind != Token::eof) {
      if (peek().kind == Token::left_delim) {
        size_t at = i_;
        next();
        if (peek_non_space().kind == Token::keyword && peek_non_space().val == "define") {
          next_non_space();
          HUSK_TRY(definition());
          continue;
        }
        i_ = at;
      }
      auto end = HUSK_TRY(text_or_action(tree_.root));
      if (end)
        return fail(
            error_at(end->pos, end->kind == ListEnd::end ? "unexpected {{end}}" : "unexpected {{else}}"));
    }
    return {};
  }

 private:
  const std::string& src_;
  std::vector<Token> toks_;
  Tree& tree_;
  size_t i_ = 0;
  std::vector<std::string> vars_{"$"};
  int range_depth_ = 0;

  // Past the end is the end: so backing up (--i_) always returns to the token read.
  const Token& peek() const { return toks_[std::min(i_, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = peek();
    ++i_;
    return t;
  }
  const Token& peek_non_space() {
    while (peek().kind == Token::space) ++i_;
    return peek();
  }
  const Token& next_non_space() {
    peek_non_space();
    return next();
  }

  Error error_at(size_t pos, const std::string& message) const { return parse_error(src_, pos, message); }
  Error unexpected(const Token& t, const std::string& where) const {
    return error_at(t.pos, "unexpected " + describe(t) + " in " + where);
  }
  Result<void> expect_right_delim(const std::string& context) {
    const Token& t = next_non_space();
    if (t.kind != Token::right_delim) return fail(unexpected(t, context));
    return {};
  }

  // Nodes into INTO until {{end}} or {{else}}, which is returned.
  Result<ListEnd> item_list(std::vector<Node>& into) {
    while (peek().kind != Token::eof) {
      auto end = HUSK_TRY(text_or_action(into));
      if (end) return *end;
    }
    return fail(error_at(peek().pos, "unexpected EOF"));
  }

  Result<std::optional<ListEnd>> text_or_action(std::vector<Node>& into) {
    const Token& t = next_non_space();
    if (t.kind == Token::text) {
      into.push_back({Node::text, t.pos, t.val, nullptr, {}, {}});
      return std::nullopt;
    }
    if (t.kind != Token::left_delim) return fail(unexpected(t, "input"));
    return action(into);
  }

  Result<std::optional<ListEnd>> action(std::vector<Node>& into) {
    const Token& t = peek_non_space();
    if (t.kind == Token::keyword) {
      std::string kw = t.val;
      size_t pos = next().pos;
      if (kw == "end") {
        HUSK_TRY(expect_right_delim("end"));
        return ListEnd{ListEnd::end, pos, ""};
      }
      if (kw == "else") {
        const Token& after = peek_non_space();
        if (after.kind == Token::keyword && (after.val == "if" || after.val == "with"))
          return ListEnd{ListEnd::else_, pos, after.val};
        HUSK_TRY(expect_right_delim("else"));
        return ListEnd{ListEnd::else_, pos, ""};
      }
      if (kw == "if" || kw == "range" || kw == "with") {
        into.push_back(HUSK_TRY(control(kw, pos)));
        return std::nullopt;
      }
      if (kw == "template" || kw == "block") {
        into.push_back(HUSK_TRY(template_call(kw, pos)));
        return std::nullopt;
      }
      if (kw == "break" || kw == "continue") {
        if (range_depth_ == 0) return fail(error_at(pos, "{{" + kw + "}} outside {{range}}"));
        HUSK_TRY(expect_right_delim(kw));
        into.push_back({kw == "break" ? Node::break_ : Node::continue_, pos, "", nullptr, {}, {}});
        return std::nullopt;
      }
      return fail(error_at(pos, "unexpected <" + kw + "> in command"));
    }
    size_t pos = t.pos;
    auto pipe = HUSK_TRY(pipeline("command", Token::right_delim));
    into.push_back({Node::action, pos, "", std::move(pipe), {}, {}});
    return std::nullopt;
  }

  // {{if|range|with PIPELINE}} LIST [{{else}} LIST] {{end}}; "{{else if" is
  // an {{if}} inside the else that shares its {{end}}.
  Result<Node> control(const std::string& kind, size_t pos) {
    size_t mark = vars_.size();
    Node n{kind == "if" ? Node::if_ : kind == "range" ? Node::range : Node::with, pos, "", nullptr, {}, {}};
    n.pipe = HUSK_TRY(pipeline(kind, Token::right_delim));
    if (kind == "range") ++range_depth_;
    auto end = HUSK_TRY(item_list(n.list));
    if (kind == "range") --range_depth_;
    if (end.kind == ListEnd::else_) {
      if (!end.chained.empty()) {
        if (end.chained != kind) return fail(unexpected(peek_non_space(), "input"));
        size_t chained_pos = next_non_space().pos;
        n.else_list.push_back(HUSK_TRY(control(kind, chained_pos)));
      } else {
        auto last = HUSK_TRY(item_list(n.else_list));
        if (last.kind != ListEnd::end) return fail(error_at(last.pos, "expected end; found {{else}}"));
      }
    }
    vars_.resize(mark);
    return n;
  }

  Result<std::string> template_name(const std::string& context) {
    const Token& t = next_non_space();
    if (t.kind != Token::string) return fail(unexpected(t, context + " clause"));
    return t.val;
  }

  // {{template "name" [PIPELINE]}} and {{block "name" PIPELINE}} LIST {{end}}.
  Result<Node> template_call(const std::string& kind, size_t pos) {
    Node n{Node::call_template, pos, HUSK_TRY(template_name(kind)), nullptr, {}, {}};
    if (kind == "template" && peek_non_space().kind == Token::right_delim) {
      next();
      return n;
    }
    n.pipe = HUSK_TRY(pipeline(kind, Token::right_delim));
    if (kind == "block") HUSK_TRY(definition_body(n.str, kind));
    return n;
  }

  // After {{define: "name"}} LIST {{end}}.
  Result<void> definition() {
    auto name = HUSK_TRY(template_name("define"));
    HUSK_TRY(expect_right_delim("define clause"));
    return definition_body(name, "define");
  }

  // A defined template's body: its own variables ($ only) and no range around it.
  Result<void> definition_body(const std::string& name, const std::string& context) {
    auto saved_vars = std::exchange(vars_, {"$"});
    int saved_depth = std::exchange(range_depth_, 0);
    std::vector<Node> body;
    auto end = HUSK_TRY(item_list(body));
    if (end.kind != ListEnd::end) return fail(error_at(end.pos, "unexpected {{else}} in " + context));
    vars_ = std::move(saved_vars);
    range_depth_ = saved_depth;
    tree_.defines[name] = std::move(body);
    return {};
  }

  // [$x := | $x = | $i, $e :=] COMMAND [| COMMAND]... up to END.
  Result<std::shared_ptr<const Pipe>> pipeline(const std::string& context, Token::Kind end) {
    auto pipe = std::make_shared<Pipe>();
    pipe->pos = peek_non_space().pos;
    HUSK_TRY(declarations(*pipe, context));
    while (true) {
      const Token& t = next_non_space();
      if (t.kind == end) break;
      switch (t.kind) {
        case Token::boolean:
        case Token::dot:
        case Token::field:
        case Token::identifier:
        case Token::number:
        case Token::nil:
        case Token::variable:
        case Token::string:
        case Token::left_paren:
          --i_;
          pipe->cmds.push_back(HUSK_TRY(command()));
          break;
        default:
          return fail(unexpected(t, context));
      }
    }
    if (pipe->cmds.empty()) return fail(error_at(pipe->pos, "missing value for " + context));
    for (size_t k = 1; k < pipe->cmds.size(); ++k) {
      auto kind = pipe->cmds[k].args[0].kind;
      if (kind == Operand::boolean || kind == Operand::dot || kind == Operand::nil ||
          kind == Operand::number || kind == Operand::string)
        return fail(
            error_at(pipe->cmds[k].pos, "non executable command in pipeline stage " + std::to_string(k + 1)));
    }
    return std::shared_ptr<const Pipe>(std::move(pipe));
  }

  Result<void> declarations(Pipe& pipe, const std::string& context) {
    while (peek_non_space().kind == Token::variable) {
      size_t at = i_;
      const Token& v = next();
      std::string name = v.val;
      size_t pos = v.pos;
      const Token& after = peek_non_space();
      if (after.kind == Token::declare || after.kind == Token::assign) {
        pipe.is_assign = after.kind == Token::assign;
        next();
        if (pipe.is_assign && std::find(vars_.begin(), vars_.end(), name) == vars_.end())
          return fail(error_at(pos, "undefined variable \"" + name + "\""));
        pipe.decl.push_back(name);
        vars_.push_back(name);
        return {};
      }
      if (after.kind == Token::comma) {
        next();
        pipe.decl.push_back(name);
        vars_.push_back(name);
        if (context == "range" && pipe.decl.size() < 2) {
          auto k = peek_non_space().kind;
          if (k == Token::variable || k == Token::right_delim || k == Token::right_paren) continue;
          return fail(error_at(pos, "range can only initialize variables"));
        }
        return fail(error_at(pos, "too many declarations in " + context));
      }
      i_ = at;  // a variable used, not declared
      return {};
    }
    return {};
  }

  Result<Command> command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    size_t end = cmd.pos;
    while (true) {
      peek_non_space();
      if (auto op = HUSK_TRY(operand())) cmd.args.push_back(std::move(*op));
      end = peek().pos;
      const Token& t = next();
      if (t.kind == Token::space) continue;
      if (t.kind == Token::right_delim || t.kind == Token::right_paren) {
        --i_;
      } else if (t.kind != Token::pipe) {
        return fail(unexpected(t, "operand"));
      }
      break;
    }
    if (cmd.args.empty()) return fail(error_at(cmd.pos, "empty command"));
    cmd.text = trim_right(src_.substr(cmd.pos, end - cmd.pos));
    return cmd;
  }

  static std::string trim_right(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
      s.pop_back();
    return s;
  }

  // A term and the .Field chain after it.
  Result<std::optional<Operand>> operand() {
    auto term_op = HUSK_TRY(term());
    if (!term_op || peek().kind != Token::field) return term_op;
    Operand op = std::move(*term_op);
    switch (op.kind) {
      case Operand::boolean:
      case Operand::string:
      case Operand::number:
      case Operand::nil:
      case Operand::dot:
        return fail(error_at(peek().pos,
                             "unexpected . after term \"" + src_.substr(op.pos, peek().pos - op.pos) + "\""));
      case Operand::function: {
        // (a niladic call).Field: kept as a pipe of that one call
        Operand call = std::move(op);
        op = Operand{Operand::pipe, call.pos, "", {}, nullptr, nullptr};
        auto p = std::make_shared<Pipe>();
        p->pos = call.pos;
        p->cmds.push_back(Command{call.pos, call.name, {std::move(call)}});
        op.sub = std::move(p);
        break;
      }
      default:
        break;
    }
    while (peek().kind == Token::field) op.fields.push_back(next().val);
    return std::optional<Operand>(std::move(op));
  }

  Result<std::optional<Operand>> term() {
    const Token& t = next_non_space();
    Operand op{Operand::dot, t.pos, "", {}, nullptr, nullptr};
    switch (t.kind) {
      case Token::identifier:
        if (!is_function(t.val)) return fail(error_at(t.pos, "function \"" + t.val + "\" not defined"));
        op.kind = Operand::function, op.name = t.val;
        return std::optional<Operand>(std::move(op));
      case Token::dot:
        return std::optional<Operand>(std::move(op));
      case Token::nil:
        op.kind = Operand::nil;
        return std::optional<Operand>(std::move(op));
      case Token::variable:
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end())
          return fail(error_at(t.pos, "undefined variable \"" + t.val + "\""));
        op.kind = Operand::variable, op.name = t.val;
        return std::optional<Operand>(std::move(op));
      case Token::field:
        op.kind = Operand::field, op.fields = {t.val};
        return std::optional<Operand>(std::move(op));
      case Token::boolean:
        op.kind = Operand::boolean, op.literal = t.val == "true";
        return std::optional<Operand>(std::move(op));
      case Token::number: {
        auto v = number_value(t.val);
        if (!v) return fail(error_at(t.pos, "illegal number syntax: \"" + t.val + "\""));
        op.kind = Operand::number, op.name = t.val, op.literal = std::move(*v);
        return std::optional<Operand>(std::move(op));
      }
      case Token::string:
        op.kind = Operand::string, op.literal = t.val;
        return std::optional<Operand>(std::move(op));
      case Token::left_paren: {
        op.kind = Operand::pipe;
        op.sub = HUSK_TRY(pipeline("parenthesized pipeline", Token::right_paren));
        return std::optional<Operand>(std::move(op));
      }
      default:
        --i_;
        return std::optional<Operand>();
    }
  }
};

}  // namespace

}  // namespace husk::engine::tmpl

namespace husk::engine {

Result<Template> Template::parse(const std::string& text) {
  using namespace tmpl;
  auto lexed = lex(text);
  if (auto* err = std::get_if<LexError>(&lexed)) return fail(parse_error(text, err->pos, err->message));
  auto tree = std::make_shared<Tree>();
  tree->source = text;
  HUSK_TRY(Parser(tree->source, std::move(std::get<std::vector<Token>>(lexed)), *tree).parse());
  return Template(std::move(tree));
}

}  // namespace husk::engine
