#include "engine/commit.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/strings.hpp"
#include "engine/inspect.hpp"
#include "spec/config.hpp"

namespace husk::engine {

namespace {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error change_error(const std::string& message) { return Error(EINVAL, message); }

// A JSON array of strings (a Dockerfile's exec form), or nullopt when TEXT
// is not one (then it is the shell form, as a Dockerfile takes it).
std::optional<std::vector<std::string>> json_form(const std::string& text) {
  if (!text.starts_with("[")) return std::nullopt;
  try {
    return nlohmann::json::parse(text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// Words as a Dockerfile's ENV and LABEL split them: by blanks, quotes and
// backslashes kept together and removed.
Result<std::vector<std::string>> shell_words(const std::string& text, const std::string& op) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return fail(change_error(op + ": unterminated quote in \"" + text + "\""));
  if (in_word) words.push_back(word);
  return words;
}

// name=value pairs (ENV, LABEL); ENV also takes the old "ENV NAME VALUE".
Result<std::vector<std::pair<std::string, std::string>>> name_values(const std::string& arg,
                                                                     const std::string& op) {
  auto words = HUSK_TRY(shell_words(arg, op));
  std::vector<std::pair<std::string, std::string>> out;
  if (op == "ENV" && !words.empty() && words[0].find('=') == std::string::npos) {
    auto sp = arg.find_first_of(" \t");
    if (sp == std::string::npos) return fail(change_error("ENV must have two arguments"));
    out.emplace_back(words[0], trim(arg.substr(sp)));
    return out;
  }
  for (auto& w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos)
      return fail(
          change_error("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value"));
    if (eq == 0) return fail(change_error(op + " names can not be blank"));
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

void set_env(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  auto same = [&](const std::string& kv) { return kv.substr(0, kv.find('=')) == name; };
  if (auto it = std::find_if(env.begin(), env.end(), same); it != env.end())
    *it = name + "=" + value;
  else
    env.push_back(name + "=" + value);
}

// EXPOSE's ports: "80", "80/udp", "8000-8002/tcp" (a range is each port).
Result<std::vector<std::string>> exposed(const std::string& spec) {
  auto slash = spec.find('/');
  std::string ports = spec.substr(0, slash),
              proto = slash == std::string::npos ? "tcp" : to_lower(spec.substr(slash + 1));
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return fail(change_error("invalid proto: " + proto));
  auto dash = ports.find('-');
  auto first = parse_u64(ports.substr(0, dash));
  auto last = dash == std::string::npos ? first : parse_u64(ports.substr(dash + 1));
  if (!first || !last || *first > 65535 || *last > 65535 || *last < *first)
    return fail(change_error("invalid containerPort: " + ports));
  std::vector<std::string> out;
  for (auto p = *first; p <= *last; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

void add_unique(std::vector<std::string>& list, const std::string& v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

struct ChangeState {
  bool cmd_set = false;  // a CMD came before: an ENTRYPOINT keeps it
};

Result<void> apply_change(image::RunConfig& c, const std::string& change, ChangeState& state) {
  std::string t = trim(change);
  if (t.empty()) return fail(change_error("an empty change"));
  auto sp = t.find_first_of(" \t");
  std::string op = to_upper(t.substr(0, sp)), arg = sp == std::string::npos ? "" : trim(t.substr(sp));
  static constexpr std::string_view kValid[] = {"CMD",     "ENTRYPOINT", "ENV",    "EXPOSE", "LABEL",
                                                "ONBUILD", "USER",       "VOLUME", "WORKDIR"};
  if (std::find(std::begin(kValid), std::end(kValid), op) == std::end(kValid))
    return fail(change_error(to_lower(op) + " is not a valid change command"));
  if (arg.empty()) return fail(change_error(op + " requires at least one argument"));
  auto command = [&] { return json_form(arg).value_or(std::vector<std::string>{"/bin/sh", "-c", arg}); };
  if (op == "CMD") {
    c.cmd = command();
    c.cmd_set = true;
    state.cmd_set = true;
  } else if (op == "ENTRYPOINT") {
    c.entrypoint = command();
    c.entrypoint_set = true;
    if (!state.cmd_set) {
      c.cmd.clear();
      c.cmd_set = false;
    }
  } else if (op == "ENV") {
    for (auto& [k, v] : HUSK_TRY(name_values(arg, op))) set_env(c.env, k, v);
  } else if (op == "LABEL") {
    for (auto& [k, v] : HUSK_TRY(name_values(arg, op))) c.labels[k] = v;
  } else if (op == "EXPOSE") {
    for (auto& w : HUSK_TRY(shell_words(arg, op)))
      for (auto& p : HUSK_TRY(exposed(w))) add_unique(c.exposed_ports, p);
  } else if (op == "ONBUILD") {
    std::string inner = to_upper(arg.substr(0, arg.find_first_of(" \t")));
    if (inner == "ONBUILD") return fail(change_error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"));
    if (inner == "FROM" || inner == "MAINTAINER")
      return fail(change_error(inner + " isn't allowed as an ONBUILD trigger"));
    c.on_build.push_back(arg);
  } else if (op == "USER") {
    c.user = arg;
  } else if (op == "VOLUME") {
    auto paths = json_form(arg);
    if (!paths) paths = HUSK_TRY(shell_words(arg, op));
    for (auto& p : *paths) {
      if (trim(p).empty()) return fail(change_error("VOLUME specified can not be an empty string"));
      add_unique(c.volumes, p);
    }
  } else {  // WORKDIR: a relative one is under the current one
    std::string base = c.working_dir.empty() ? "/" : c.working_dir;
    c.working_dir = arg.starts_with("/") ? arg : base + (base.ends_with("/") ? "" : "/") + arg;
  }
  return {};
}

}  // namespace

Result<ContainerRecord> find_container(const Engine& eng, const std::string& name_or_id) {
  auto rec = eng.containers().find(name_or_id);
  if (!rec && rec.error().err() == ENOENT) return fail_code(ENOENT, "No such container: " + name_or_id);
  return rec;
}

Result<void> apply_changes(image::RunConfig& config, const std::vector<std::string>& changes) {
  ChangeState state;
  for (auto& ch : changes) HUSK_TRY(apply_change(config, ch, state));
  return {};
}

image::RunConfig container_run_config(const Engine& eng, const ContainerRecord& rec,
                                      const image::RunConfig& image) {
  const RunFlags& f = rec.flags;
  image::RunConfig c = image;
  if (f.entrypoint) {
    c.entrypoint =
        f.entrypoint->empty() ? std::vector<std::string>{} : std::vector<std::string>{*f.entrypoint};
    c.entrypoint_set = true;
    c.cmd.clear();  // a new entrypoint drops the image's cmd
    c.cmd_set = false;
  }
  if (!f.command.empty()) {
    c.cmd = f.command;
    c.cmd_set = true;
  }
  // The env the container was given (the image's, -e, --env-file), as
  // inspect shows it.
  if (auto cfg = spec::load_config(eng.containers().bundle_dir(rec.id) + "/config.json"); cfg && cfg->process)
    c.env = cfg->process->env;
  // TERM=xterm is what -t gives the process, not the container's settings
  // (docker adds it when the process starts, and commits none).
  auto term = std::find(c.env.begin(), c.env.end(), "TERM=xterm");
  bool asked = std::ranges::any_of(f.env, [](const std::string& e) { return e.starts_with("TERM"); }) ||
               std::ranges::any_of(image.env, [](const std::string& e) { return e.starts_with("TERM="); });
  if (f.tty && term != c.env.end() && !asked) c.env.erase(term);
  if (!f.workdir.empty()) c.working_dir = f.workdir;
  if (!f.user.empty()) c.user = f.user;
  if (!rec.exposed_ports.empty()) c.exposed_ports = rec.exposed_ports;
  c.labels = container_labels(eng, rec);
  if (!f.stop_signal.empty()) c.stop_signal = f.stop_signal;
  if (rec.healthcheck) c.healthcheck = rec.healthcheck;  // the image's with --health-* over it
  return c;
}

Result<CommitSource> commit_source(const Engine& eng, const std::string& name_or_id,
                                   const std::vector<std::string>& changes) {
  CommitSource s;
  s.rec = HUSK_TRY(find_container(eng, name_or_id));
  s.image = HUSK_TRY_CTX(eng.images().find_image(s.rec.image_id), "the image of " + s.rec.name);
  s.upper = eng.containers().dir(s.rec.id) + "/upper";
  s.config = container_run_config(eng, s.rec, s.image.config.config);
  HUSK_TRY(apply_changes(s.config, changes));
  return s;
}

Result<PauseGuard> PauseGuard::freeze(const Engine& eng, const ContainerRecord& rec) {
  PauseGuard g;
  if (eng.live_status(rec) != LiveStatus::running) return g;
  HUSK_TRY_CTX(eng.pause(rec.id), "pause " + rec.name);
  g.eng_ = &eng;
  g.id_ = rec.id;
  return g;
}

Result<void> PauseGuard::thaw() {
  if (!eng_) return {};
  const Engine* eng = std::exchange(eng_, nullptr);
  return with_context(eng->unpause(id_), "unpause " + id_);
}

}  // namespace husk::engine
