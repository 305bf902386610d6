// Walking the tree over a document, as Go's text/template executes: fields
// looked up in JSON objects, variables scoped to their block, and/or
// short-circuit, {{range}} over lists, objects (sorted keys) and ints.
#include <algorithm>

#include "engine/template.hpp"
#include "engine/template_tree.hpp"

namespace husk::engine {

namespace tmpl {

const json& Value::null_json() {
  static const json kNull;
  return kNull;
}

namespace {

enum class Flow { normal, break_, continue_ };

// Go stops a template that calls itself without end; so do we.
constexpr int kMaxDepth = 1000;

class Exec {
 public:
  Exec(const Tree& tree, const TemplateOptions& options, std::string& out)
      : tree_(tree), header_(options.header), methods_(options.methods), out_(out) {}

  Result<void> run(const Value& dot) {
    vars_ = {{"$", dot}};
    HUSK_TRY(walk(tree_.root, dot));
    return {};
  }

 private:
  const Tree& tree_;
  bool header_;
  const std::map<std::string, TemplateMethod>* methods_;
  std::string& out_;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string name_;  // the template running: "" or a {{define}}'s name
  int depth_ = 0;

  // Go's shape: template: :LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE.
  Error error_at(size_t pos, const std::string& context, const std::string& message) const {
    const std::string& s = tree_.source;
    pos = std::min(pos, s.size());
    size_t line = 1 + static_cast<size_t>(std::count(s.begin(), s.begin() + static_cast<long>(pos), '\n'));
    size_t nl = s.rfind('\n', pos == 0 ? 0 : pos - 1);
    size_t col = (nl == std::string::npos || pos == 0) ? pos : pos - nl - 1;
    return Error(EINVAL,
                 "template parsing error: template: :" + std::to_string(line) + ":" + std::to_string(col) +
                     ": executing \"" + name_ + "\" at <" + context + ">: " + message,
                 false, ErrorKind::invalid_argument);
  }

  Result<Flow> walk(const std::vector<Node>& list, const Value& dot) {
    for (auto& n : list) {
      Flow f = HUSK_TRY(walk_node(n, dot));
      if (f != Flow::normal) return f;
    }
    return Flow::normal;
  }

  Result<Flow> walk_node(const Node& n, const Value& dot) {
    switch (n.kind) {
      case Node::text:
        out_ += n.str;
        return Flow::normal;
      case Node::action: {
        Value v = HUSK_TRY(pipeline(*n.pipe, dot));
        if (n.pipe->decl.empty()) out_ += v.missing() ? "<no value>" : go_text(v.get());
        return Flow::normal;
      }
      case Node::if_:
      case Node::with: {
        size_t mark = vars_.size();
        Value v = HUSK_TRY(pipeline(*n.pipe, dot));
        bool yes = truth(v);
        Flow f = HUSK_TRY(walk(yes ? n.list : n.else_list, yes && n.kind == Node::with ? v : dot));
        vars_.resize(mark);
        return f;
      }
      case Node::range:
        return range(n, dot);
      case Node::call_template:
        return call_template(n, dot);
      case Node::break_:
        return Flow::break_;
      case Node::continue_:
        return Flow::continue_;
    }
    return Flow::normal;
  }

  Result<Flow> range(const Node& n, const Value& dot) {
    size_t mark = vars_.size();
    Value v = HUSK_TRY(pipeline(*n.pipe, dot));
    const json& j = v.get();
    const Pipe& p = *n.pipe;
    // One pass of the body with $KEY (when two are declared) and $ELEM set.
    auto once = [&](const json& key, const Value& elem) -> Result<Flow> {
      if (p.is_assign) {
        set_var(p.decl[0], p.decl.size() > 1 ? Value(key) : elem);
        if (p.decl.size() > 1) set_var(p.decl[1], elem);
      } else if (!p.decl.empty()) {
        vars_[vars_.size() - 1].second = elem;
        if (p.decl.size() > 1) vars_[vars_.size() - 2].second = Value(key);
      }
      size_t inner = vars_.size();
      Flow f = HUSK_TRY(walk(n.list, elem));
      vars_.resize(inner);
      return f;
    };
    size_t count = 0;
    Flow f = Flow::normal;
    if (j.is_array()) {
      for (count = 0; count < j.size() && f != Flow::break_; ++count)
        f = HUSK_TRY(once(json(count), v.part(j[count])));
    } else if (j.is_object()) {
      std::vector<std::string> keys;
      for (auto& [k, _] : j.items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());  // Go ranges over a map in key order
      for (auto& k : keys) {
        if (f == Flow::break_) break;
        f = HUSK_TRY(once(json(k), v.part(j[k])));
        ++count;
      }
    } else if (j.is_number_integer()) {
      if (p.decl.size() > 1)
        return fail(
            error_at(n.pos, "range", "can't use " + go_text(j) + " to iterate over more than one variable"));
      for (long long i = 0; i < j.get<long long>() && f != Flow::break_; ++i, ++count)
        f = HUSK_TRY(once(json(i), Value(json(i))));
    } else if (!j.is_null()) {
      return fail(error_at(n.pipe->pos, "range", "range can't iterate over " + go_text(j)));
    }
    if (count == 0) HUSK_TRY(walk(n.else_list, dot));
    vars_.resize(mark);
    return Flow::normal;
  }

  Result<Flow> call_template(const Node& n, const Value& dot) {
    auto it = tree_.defines.find(n.str);
    if (it == tree_.defines.end())
      return fail(error_at(n.pos, "template",
                           "template: no template \"" + n.str + "\" associated with template \"\""));
    if (depth_ >= kMaxDepth)
      return fail(
          error_at(n.pos, "template", "exceeded maximum template depth (" + std::to_string(kMaxDepth) + ")"));
    Value v = n.pipe ? HUSK_TRY(pipeline(*n.pipe, dot)) : Value();
    auto saved_vars = std::exchange(vars_, {{"$", v}});
    auto saved_name = std::exchange(name_, n.str);
    ++depth_;
    auto f = walk(it->second, v);
    --depth_;
    vars_ = std::move(saved_vars);
    name_ = std::move(saved_name);
    HUSK_TRY(f);
    return Flow::normal;
  }

  void set_var(const std::string& name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) {
        it->second = v;
        return;
      }
  }

  Result<Value> variable(const Operand& op) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == op.name) return it->second;
    return fail(error_at(op.pos, op.name, "undefined variable: " + op.name));
  }

  Result<Value> pipeline(const Pipe& p, const Value& dot) {
    Value v;
    const Value* final_value = nullptr;
    for (auto& cmd : p.cmds) {
      v = HUSK_TRY(command(cmd, dot, final_value));
      final_value = &v;
    }
    for (auto& name : p.decl) {
      if (p.is_assign)
        set_var(name, v);
      else
        vars_.emplace_back(name, v);
    }
    return v;
  }

  static std::string describe(const Operand& op) {
    std::string head = op.kind == Operand::variable ? op.name : op.kind == Operand::pipe ? "(...)" : "";
    for (auto& f : op.fields) head += "." + f;
    return head;
  }

  // FINAL: the previous command's value in a pipeline, passed as the last argument.
  Result<Value> command(const Command& cmd, const Value& dot, const Value* final_value) {
    const Operand& first = cmd.args[0];
    bool has_args = cmd.args.size() > 1 || final_value;
    auto not_a_function = [&]() -> Result<void> {
      if (has_args)
        return fail(
            error_at(first.pos, cmd.text,
                     "can't give argument to non-function " + cmd.text.substr(0, cmd.text.find(' '))));
      return {};
    };
    switch (first.kind) {
      case Operand::function:
        return call(first.name, cmd, dot, final_value);
      case Operand::nil:
        return fail(error_at(first.pos, cmd.text, "nil is not a command"));
      case Operand::field:
      case Operand::variable:
      case Operand::pipe: {
        Value base = HUSK_TRY(operand_base(first, dot));
        if (first.fields.empty()) HUSK_TRY(not_a_function());
        if (has_args && methods_ && methods_->contains(first.fields.back()))
          return method(first, base, cmd, dot, final_value);
        return fields(first, base, has_args);
      }
      case Operand::dot:
        HUSK_TRY(not_a_function());
        return dot;
      default:
        HUSK_TRY(not_a_function());
        return Value(first.literal);
    }
  }

  // What a field chain starts from: dot, a variable, or a parenthesized pipeline.
  Result<Value> operand_base(const Operand& op, const Value& dot) {
    if (op.kind == Operand::variable) return variable(op);
    if (op.kind == Operand::pipe) return pipeline(*op.sub, dot);
    return dot;
  }

  // .A.B.METHOD ARGS...: METHOD of the command's, called on what .A.B is.
  Result<Value> method(const Operand& op, const Value& base, const Command& cmd, const Value& dot,
                       const Value* final_value) {
    Value receiver = HUSK_TRY(fields(op, base, false, op.fields.size() - 1));
    if (receiver.missing() || !receiver.get().is_object()) return fields(op, base, true);
    std::vector<json> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) args.push_back(HUSK_TRY(argument(cmd.args[i], dot)).get());
    if (final_value) args.push_back(final_value->get());
    auto r = methods_->at(op.fields.back()).call(receiver.get(), args);
    if (!r) return fail(error_at(op.pos, cmd.text, r.error().message()));
    return Value(std::move(*r));
  }

  // .A.B.C from RECEIVER (its first COUNT steps, all by default); the last
  // step may not be given arguments (objects have no methods).
  Result<Value> fields(const Operand& op, Value receiver, bool has_args, size_t count = SIZE_MAX) {
    for (size_t i = 0; i < std::min(count, op.fields.size()); ++i) {
      const std::string& name = op.fields[i];
      if (receiver.missing()) return Value();
      const json& j = receiver.get();
      if (j.is_object()) {
        if (has_args && i + 1 == op.fields.size())
          return fail(error_at(op.pos, describe(op), name + " is not a method but has arguments"));
        auto it = j.find(name);
        receiver = it == j.end() ? Value() : receiver.part(*it);
      } else if (j.is_null()) {
        return fail(error_at(op.pos, describe(op), "nil pointer evaluating interface {}." + name));
      } else {
        return fail(
            error_at(op.pos, describe(op), "can't evaluate field " + name + " in type " + go_type(j)));
      }
    }
    return receiver;
  }

  Result<Value> argument(const Operand& op, const Value& dot) {
    switch (op.kind) {
      case Operand::dot:
        return dot;
      case Operand::nil:
        return Value(json(nullptr));
      case Operand::field:
      case Operand::variable:
      case Operand::pipe:
        return fields(op, HUSK_TRY(operand_base(op, dot)), false);
      case Operand::function:
        return call(op.name, Command{op.pos, op.name, {op}}, dot, nullptr);
      default:
        return Value(op.literal);
    }
  }

  Result<Value> call(const std::string& name, const Command& cmd, const Value& dot,
                     const Value* final_value) {
    size_t given = cmd.args.size() - 1 + (final_value ? 1 : 0);
    if (name == "and" || name == "or") {
      if (given == 0)
        return fail(
            error_at(cmd.pos, cmd.text, "wrong number of args for " + name + ": want at least 1 got 0"));
      // Go's and/or stop at the first operand that settles it and return that operand.
      Value v;
      for (size_t i = 1; i <= given; ++i) {
        v = i < cmd.args.size() ? HUSK_TRY(argument(cmd.args[i], dot)) : *final_value;
        if (truth(v) == (name == "or")) return v;
      }
      return v;
    }
    std::vector<Value> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) args.push_back(HUSK_TRY(argument(cmd.args[i], dot)));
    if (final_value) args.push_back(*final_value);
    auto r = call_function(name, args, header_);
    if (auto* e = std::get_if<CallError>(&r)) return fail(error_at(cmd.pos, cmd.text, e->message));
    return std::get<Value>(std::move(r));
  }
};

}  // namespace

}  // namespace tmpl

Result<std::string> Template::execute(const nlohmann::ordered_json& dot,
                                      const TemplateOptions& options) const {
  std::string out;
  HUSK_TRY(tmpl::Exec(*tree_, options, out).run(tmpl::Value::borrow(dot)));
  return out;
}

Result<std::string> render_template(const std::string& tmpl, const nlohmann::ordered_json& doc) {
  auto t = HUSK_TRY(Template::parse(tmpl));
  return t.execute(doc);
}

}  // namespace husk::engine
