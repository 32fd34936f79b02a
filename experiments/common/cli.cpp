// The command line of DESIGN.md: `list` and `run`, every input validated before anything is
// written; then the claims run and their results are written (each file atomically) in the
// order data, config.toml, figures, report.json, report.md, and last out/index.md, out/junit.xml.
#include "experiments/common/run.hpp"

#include "core/cuda.hpp"
#include "experiments/common/format.hpp"
#include "experiments/common/fsutil.hpp"
#include "experiments/common/params.hpp"
#include "experiments/common/report.hpp"
#include "experiments/common/toml.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <set>

#ifndef ATTNLAB_GIT_COMMIT
#define ATTNLAB_GIT_COMMIT ""
#endif

namespace attnlab::exp {

namespace {

namespace fs = std::filesystem;
using report::Json;

constexpr int kDefaultThreads = 2;  // the development machine's two cores; --threads overrides
constexpr int kMaxThreads = 1024;
constexpr std::uint64_t kMaxSeed = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

std::string oneline(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  std::size_t a = s.find_first_not_of(ws);
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(ws) - a + 1);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t k = 0; k < v.size(); ++k) out += (k ? sep : "") + v[k];
  return out;
}

// Digits only (no sign, no spaces), at most `max`.
bool parse_unsigned(const std::string& s, std::uint64_t max, std::uint64_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) return false;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > max) return false;
  *out = v;
  return true;
}

// A decimal number as a whole string ("8", "-2", "0.5", "1e-3"); nan/inf parse (and are
// rejected later as non-finite).
bool parse_number(const std::string& s, double* out) {
  std::string t = s;
  if (!t.empty() && t[0] == '+') t = t.substr(1);
  if (t.empty() || t[0] == '+' || t[0] == ' ') return false;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

bool claim_matches(const std::string& glob, const Claim& c) {
  const std::string short_name = c.id.substr(c.id.find('.') + 1);
  return fnmatch(glob.c_str(), c.id.c_str(), 0) == 0 || fnmatch(glob.c_str(), short_name.c_str(), 0) == 0;
}

std::vector<std::string> experiment_names(const Registry& reg) {
  std::vector<std::string> names;
  for (const Experiment& e : reg.experiments()) names.push_back(e.name);
  return names;
}

// ---- list ---------------------------------------------------------------------------------

std::string param_line(const Claim& c, const ParamSpec& p) {
  const bool integer = p.type == ParamSpec::Type::integer;
  return fmt::format("    param {}  {}  quick {}  full {}  range [{}, {}]{}{}", param_full_name(c, p),
                     integer ? "integer" : "real", format::exact(p.quick), format::exact(p.full),
                     format::exact(p.lo), format::exact(p.hi), p.help.empty() ? "" : "  ", oneline(p.help));
}

void print_list(const Registry& reg) {
  for (const Experiment& e : reg.experiments()) {
    std::printf("experiment %s: %s\n  source: %s\n\n", e.name.c_str(), oneline(e.title).c_str(),
                oneline(e.source).c_str());
    for (const Claim& c : e.claims) {
      std::printf("%s  %s  expected %s%s\n", c.id.c_str(), to_string(c.kind), to_string(c.expected),
                  c.interpretation ? "  (interpretation)" : "");
      std::printf("    statement: %s\n", oneline(c.statement).c_str());
      std::printf("    source: %s\n", oneline(c.source).c_str());
      std::printf("    negative control: %s\n", c.control_name.c_str());
      for (const ParamSpec& p : c.params) std::printf("%s\n", param_line(c, p).c_str());
      std::printf("\n");
    }
  }
}

// ---- run: options and their validation ----------------------------------------------------

struct RawRun {  // what CLI11 parsed, as given
  std::string experiment, claim, seed, out = "out", threads, device = "cpu", config;
  bool claim_given = false, seed_given = false, threads_given = false, config_given = false;
  std::vector<std::string> sets;
  bool quick = false, full = false, no_plots = false;
};

struct Selected {
  const Experiment* experiment;
  std::vector<const Claim*> claims;
};

struct Plan {
  std::vector<Selected> runs;
  std::string glob;  // "" when every claim runs
  Mode mode = Mode::quick;
  std::uint64_t seed = 1;
  int threads = kDefaultThreads;
  Device device = Device::cpu;
  std::map<std::string, double> overrides;  // full names: config [params], then --set
  std::string out;
  bool no_plots = false;
};

struct Config {
  std::string experiment, mode, claim;
  int experiment_line = 0;
  bool has_seed = false;
  std::uint64_t seed = 0;
  std::vector<toml::Entry> params;
};

Config read_config(const std::string& file) {
  std::string text;
  try {
    text = fsutil::read_text(file);
  } catch (const std::exception& e) {
    throw UsageError("config " + file + ": cannot read: " + e.what());
  }
  toml::Document doc;
  try {
    doc = toml::parse(text);
  } catch (const toml::SyntaxError& e) {
    throw UsageError(fmt::format("config {}:{}: {}", file, e.line, e.what()));
  }
  auto bad = [&](int line, const std::string& what) {
    return UsageError(fmt::format("config {}:{}: {}", file, line, what));
  };
  for (const auto& [name, line] : doc.tables)
    if (name != "run" && name != "params") throw bad(line, "unknown table [" + name + "] (accepted: [run], [params])");
  Config cfg;
  for (const toml::Entry& e : doc.entries) {
    if (e.table.empty()) throw bad(e.line, "unknown key '" + e.key + "' outside a table (accepted: [run], [params])");
    if (e.table == "params") {
      cfg.params.push_back(e);
      continue;
    }
    auto want_string = [&]() {
      if (e.value.type != toml::Value::Type::string)
        throw bad(e.line, "[run] " + e.key + " must be a string, got a " + e.value.type_name());
      return e.value.s;
    };
    if (e.key == "experiment") {
      cfg.experiment = want_string();
      cfg.experiment_line = e.line;
    } else if (e.key == "mode") {
      cfg.mode = want_string();
      if (cfg.mode != "quick" && cfg.mode != "full")
        throw bad(e.line, "[run] mode must be \"quick\" or \"full\", got \"" + cfg.mode + "\"");
    } else if (e.key == "seed") {
      if (e.value.type != toml::Value::Type::integer || e.value.i < 0)
        throw bad(e.line, "[run] seed must be a non-negative integer");
      cfg.has_seed = true;
      cfg.seed = static_cast<std::uint64_t>(e.value.i);
    } else if (e.key == "claim") {
      cfg.claim = want_string();
      if (cfg.claim.empty()) throw bad(e.line, "[run] claim must not be empty");
    } else {
      throw bad(e.line, "unknown key '" + e.key + "' in [run] (accepted: experiment, mode, seed, claim)");
    }
  }
  return cfg;
}

const Experiment* find_or_fail(const Registry& reg, const std::string& name, const std::string& fixed) {
  if (!fixed.empty() && name != fixed)
    throw UsageError("this binary runs only experiment '" + fixed + "', got '" + name + "' (accepted: " + fixed +
                     ", all)");
  const Experiment* e = reg.find_experiment(name);
  if (!e)
    throw UsageError("unknown experiment '" + name + "' (accepted: " + join(experiment_names(reg), ", ") + ", all)");
  return e;
}

// An existing path that would block a write: a directory where a file goes, or the reverse.
void check_not_blocked(const fs::path& p, bool want_dir) {
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (!fs::exists(st)) return;
  if (want_dir && !fs::is_directory(st)) throw UsageError("--out: " + p.string() + " exists and is not a directory");
  if (!want_dir && fs::is_directory(st)) throw UsageError("--out: " + p.string() + " is a directory");
}

// The parameters a mistyped name most likely meant: those of the same claim (or experiment)
// if any, else all; at most eight are named.
std::string known_names(const std::map<std::string, const ParamSpec*>& params, const std::string& key) {
  if (params.empty()) return "the selected claims declare no parameters";
  std::vector<std::string> names;
  const std::size_t dot = key.rfind('.');
  if (dot != std::string::npos)
    for (const auto& [n, p] : params)
      if (n.compare(0, dot + 1, key, 0, dot + 1) == 0) names.push_back(n);
  if (names.empty())
    for (const auto& [n, p] : params) names.push_back(n);
  const std::size_t total = names.size(), shown = std::min<std::size_t>(total, 8);
  names.resize(shown);
  std::string text = "parameters of the selected claims include: " + join(names, ", ");
  if (total > shown) text += fmt::format(" and {} more", total - shown);
  return text + "; see 'attnlab list'";
}

// Everything is checked here, before anything is written.
Plan make_plan(const Registry& reg, const RawRun& raw, const std::string& fixed) {
  Plan plan;
  plan.no_plots = raw.no_plots;

  if (raw.seed_given && !parse_unsigned(raw.seed, kMaxSeed, &plan.seed))
    throw UsageError(fmt::format("--seed must be a non-negative integer (0 to {}), got '{}'", kMaxSeed, raw.seed));
  if (raw.threads_given) {
    std::uint64_t t = 0;
    if (!parse_unsigned(raw.threads, kMaxThreads, &t) || t < 1)
      throw UsageError(fmt::format("--threads must be an integer from 1 to {}, got '{}'", kMaxThreads, raw.threads));
    plan.threads = static_cast<int>(t);
  }
  if (raw.device == "cpu") {
    plan.device = Device::cpu;
  } else if (raw.device == "cuda") {
    std::string why;
    if (!core::cuda_available(&why)) throw UsageError("--device cuda is not available: " + oneline(why));
    plan.device = Device::cuda;
  } else {
    throw UsageError("--device must be cpu or cuda, got '" + raw.device + "'");
  }

  Config cfg;
  if (raw.config_given) {
    if (raw.config.empty()) throw UsageError("--config needs a file name");
    cfg = read_config(raw.config);
  }

  // Which experiments.
  std::string name = raw.experiment;
  if (name.empty() && fixed.empty()) name = cfg.experiment;
  if (name.empty() && !fixed.empty()) name = fixed;
  if (name.empty())
    throw UsageError("missing experiment: run <experiment|all> (accepted: " + join(experiment_names(reg), ", ") +
                     ", all)");
  std::vector<const Experiment*> experiments;
  if (name == "all" && fixed.empty()) {
    for (const Experiment& e : reg.experiments()) experiments.push_back(&e);
  } else {
    experiments.push_back(find_or_fail(reg, name == "all" ? fixed : name, fixed));
  }
  if (experiments.empty()) throw UsageError("no experiment is linked into this binary");
  if (!cfg.experiment.empty() && std::none_of(experiments.begin(), experiments.end(), [&](const Experiment* e) {
        return e->name == cfg.experiment;
      }))
    throw UsageError(fmt::format("config {}:{}: experiment \"{}\" is not among the experiments being run ({})",
                                 raw.config, cfg.experiment_line, cfg.experiment, name));

  // Mode and seed: the command line, else the config, else the defaults.
  if (raw.quick || raw.full) {
    plan.mode = raw.full ? Mode::full : Mode::quick;
  } else if (!cfg.mode.empty()) {
    plan.mode = cfg.mode == "full" ? Mode::full : Mode::quick;
  }
  if (!raw.seed_given && cfg.has_seed) plan.seed = cfg.seed;

  // Which claims.
  plan.glob = raw.claim_given ? raw.claim : cfg.claim;
  if (raw.claim_given && raw.claim.empty()) throw UsageError("--claim needs a pattern");
  std::size_t selected = 0;
  for (const Experiment* e : experiments) {
    Selected s{e, {}};
    for (const Claim& c : e->claims)
      if (plan.glob.empty() || claim_matches(plan.glob, c)) s.claims.push_back(&c);
    selected += s.claims.size();
    if (!s.claims.empty()) plan.runs.push_back(std::move(s));
  }
  if (selected == 0) {
    std::vector<std::string> ids;
    for (const Experiment* e : experiments)
      for (const Claim& c : e->claims) ids.push_back(c.id);
    const std::string from = raw.claim_given ? "--claim" : "config " + raw.config + ": claim";
    throw UsageError(from + " '" + plan.glob + "' matches no claim (claims: " + join(ids, ", ") + ")");
  }

  // Parameters: config [params] may name any parameter of the experiments run; --set only
  // those of the selected claims.
  std::map<std::string, const ParamSpec*> of_experiments, of_selected;
  for (const Experiment* e : experiments)
    for (const Claim& c : e->claims)
      for (const ParamSpec& p : c.params) of_experiments[param_full_name(c, p)] = &p;
  for (const Selected& s : plan.runs)
    for (const Claim* c : s.claims)
      for (const ParamSpec& p : c->params) of_selected[param_full_name(*c, p)] = &p;
  for (const toml::Entry& e : cfg.params) {
    auto where = fmt::format("config {}:{}: ", raw.config, e.line);
    auto it = of_experiments.find(e.key);
    if (it == of_experiments.end()) throw UsageError(where + "unknown parameter '" + e.key + "'");
    if (!e.value.is_number())
      throw UsageError(where + e.key + " must be a number, got a " + e.value.type_name());
    std::string problem = check_param_value(e.key, *it->second, e.value.number());
    if (!problem.empty()) throw UsageError(where + problem);
    plan.overrides[e.key] = e.value.number();
  }
  for (const std::string& set : raw.sets) {
    const std::size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--set expects name=value, got '" + set + "'");
    const std::string key = set.substr(0, eq), text = set.substr(eq + 1);
    auto it = of_selected.find(key);
    if (it == of_selected.end()) throw UsageError("--set: unknown parameter '" + key + "' (" + known_names(of_selected, key) + ")");
    double v = 0;
    if (!parse_number(text, &v)) throw UsageError("--set " + key + ": '" + text + "' is not a number");
    std::string problem = check_param_value(key, *it->second, v);
    if (!problem.empty()) throw UsageError("--set " + problem);
    plan.overrides[key] = v;
  }

  // --device cuda runs only claims that have a CUDA path: never a silent CPU fallback.
  if (plan.device == Device::cuda)
    for (const Selected& s : plan.runs)
      for (const Claim* c : s.claims)
        if (!c->has_cuda_path)
          throw UsageError("--device cuda: claim " + c->id + " has no CUDA path (run it with --device cpu)");

  // Constraints between a claim's parameters (e.g. a lag window inside the sequence).
  for (const Selected& s : plan.runs)
    for (const Claim* c : s.claims)
      if (c->check_params)
        if (std::string problem = c->check_params(effective_params(*c, plan.mode, plan.overrides)); !problem.empty())
          throw UsageError(c->id + ": " + problem);

  // The output folder must be creatable and writable, and nothing in it may block a write.
  plan.out = raw.out;
  if (std::string problem = fsutil::output_dir_problem(raw.out); !problem.empty())
    throw UsageError("--out: " + problem);
  const fs::path out(raw.out);
  check_not_blocked(out / "index.md", false);
  check_not_blocked(out / "junit.xml", false);
  for (const Selected& s : plan.runs) {
    const fs::path dir = out / s.experiment->name;
    check_not_blocked(dir, true);
    check_not_blocked(dir / "data", true);
    check_not_blocked(dir / "figures", true);
    for (const char* f : {"report.json", "report.md", "config.toml"}) check_not_blocked(dir / f, false);
  }
  return plan;
}

// ---- run: executing and writing -------------------------------------------------------------

void warn(const std::string& line) { std::fprintf(stderr, "attnlab: warning: %s\n", oneline(line).c_str()); }

std::string last_line(const std::string& text) {
  std::string t = trim(text);
  std::size_t nl = t.find_last_of('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

struct GitInfo {
  std::string commit;
  bool dirty = false;
};

GitInfo git_info() {
  GitInfo g;
  std::string out;
  if (fsutil::run_process({"git", "-C", ATTNLAB_SOURCE_DIR, "rev-parse", "HEAD"}, &out) == 0) {
    std::string c = trim(out);
    if (c.size() == 40 && c.find_first_not_of("0123456789abcdef") == std::string::npos) g.commit = c;
  }
  if (g.commit.empty()) g.commit = ATTNLAB_GIT_COMMIT;
  if (g.commit.empty()) g.commit = "unknown";
  if (fsutil::run_process({"git", "-C", ATTNLAB_SOURCE_DIR, "--no-optional-locks", "status", "--porcelain"}, &out) ==
      0)
    g.dirty = !trim(out).empty();
  return g;
}

std::string config_toml(const Experiment& e, const Plan& plan, const std::vector<ClaimResult>& results) {
  std::string s = "# attnlab effective configuration; repeat this run with: attnlab run " + e.name +
                  " --config <this file>\n";
  s += "[run]\n";
  s += "experiment = " + toml::quote(e.name) + "\n";
  s += "mode = " + toml::quote(to_string(plan.mode)) + "\n";
  s += "seed = " + std::to_string(plan.seed) + "\n";
  if (!plan.glob.empty()) s += "claim = " + toml::quote(plan.glob) + "\n";
  s += "[params]\n";
  std::set<std::string> done;
  for (const ClaimResult& r : results) {
    for (const ParamSpec& p : r.claim->params) {
      const std::string full = param_full_name(*r.claim, p);
      auto it = r.params.find(full);
      if (it == r.params.end() || !done.insert(full).second) continue;
      s += toml::key(full) + " = " +
           (p.type == ParamSpec::Type::integer ? std::to_string(static_cast<long long>(it->second))
                                               : toml::real(it->second)) +
           "\n";
    }
  }
  return s;
}

// Removes files of an earlier run that this run did not write (stale data would be plotted).
void remove_stale(const fs::path& dir, const std::set<std::string>& keep, const std::set<std::string>& extensions) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const fs::directory_entry& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (f.is_regular_file(ec) && extensions.count(f.path().extension().string()) && !keep.count(name))
      fs::remove(f.path(), ec);
  }
}

void draw_figures(const fs::path& dir, const std::string& experiment) {
  const char* env = std::getenv("ATTNLAB_PYTHON");
  const std::string python = env && *env ? env : "/usr/bin/python3";
  const std::string script = std::string(ATTNLAB_SOURCE_DIR) + "/plots/plot.py";
  std::error_code ec;
  if (!fs::exists(script, ec)) {
    warn("figures of " + experiment + " not drawn: " + script + " not found");
    return;
  }
  std::string output;
  int rc = fsutil::run_process({python, script, dir.string()}, &output,
                               {{"MPLBACKEND", "Agg"}, {"SOURCE_DATE_EPOCH", "0"}, {"PYTHONHASHSEED", "0"},
                                {"PYTHONDONTWRITEBYTECODE", "1"}});
  if (rc != 0) {
    warn(fmt::format("figures of {} not drawn ({} {} exited with {}): {}", experiment, python, script, rc,
                     last_line(output)));
  } else if (!trim(output).empty()) {
    std::fprintf(stderr, "%s\n", trim(output).c_str());
  }
}

std::vector<report::Found> read_reports(const fs::path& out, std::vector<std::string>* unreadable) {
  std::vector<report::Found> found;
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(out, ec))
    if (d.is_directory(ec) && fs::exists(d.path() / "report.json", ec)) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs) {
    const std::string rel = d.filename().string() + "/report.json";
    try {
      Json j = Json::parse(fsutil::read_text(d / "report.json"));
      bool ok = j.is_object() && j.contains("claims") && j["claims"].is_array();
      if (ok)
        for (const Json& c : j["claims"]) ok = ok && c.is_object() && c.contains("control") && c["control"].is_object();
      if (!ok) throw std::runtime_error("not an attnlab report");
      found.push_back({d.filename().string(), std::move(j)});
    } catch (const std::exception& e) {
      unreadable->push_back(rel + ": " + oneline(e.what()));
      warn("index: skipped " + rel + ": " + oneline(e.what()));
    }
  }
  return found;
}

int run_plan(const Plan& plan, const std::vector<std::string>& argv) {
  fsutil::install_interrupt_handler();
  const bool tty = isatty(2);
  const GitInfo git = git_info();
  const fs::path out(plan.out);
  bool all_as_expected = true;
  std::vector<std::string> written;

  for (const Selected& s : plan.runs) {
    const Experiment& e = *s.experiment;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<ClaimResult> results;
    std::map<std::string, std::string> data_owner;  // data file -> claim id
    for (const Claim* c : s.claims) {
      const std::string short_name = c->id.substr(c->id.find('.') + 1);
      if (tty) std::fprintf(stderr, "\r\033[K[%s] %s  running...", e.name.c_str(), short_name.c_str());
      ClaimResult r = run_claim(*c, plan.mode, plan.seed, plan.threads, plan.device, plan.overrides,
                                out / e.name / "checkpoints" / short_name);
      for (const auto& [file, table] : r.tables) {
        auto [it, fresh] = data_owner.emplace(file, c->id);
        if (!fresh) {
          r.verdict = Verdict::FAIL;
          r.reason = "error: data file " + file + " is also written by claim " + it->second;
        }
      }
      const bool ok = r.verdict == c->expected;
      all_as_expected = all_as_expected && ok;
      std::fprintf(stderr, "%s[%s] %s  %s (expected %s)  %.2f s%s\n", tty ? "\r\033[K" : "", e.name.c_str(),
                   short_name.c_str(), to_string(r.verdict), to_string(c->expected), r.wall_s,
                   ok ? "" : ("  NOT AS EXPECTED: " + oneline(r.reason)).c_str());
      results.push_back(std::move(r));
    }

    // Before anything of this experiment is rewritten, the files that would vouch for the
    // old contents go: a run killed from here on leaves no report.json, index.md or
    // junit.xml describing data it did not finish writing. Temporaries of a killed run go too.
    const fs::path dir = out / e.name;
    {
      std::error_code ec;
      for (const fs::path& p : {out / "index.md", out / "junit.xml", dir / "report.json", dir / "report.md"})
        fs::remove(p, ec);
      for (const fs::path& d : {out, dir, dir / "data", dir / "figures"}) fsutil::remove_temporaries(d);
    }

    // data, config.toml, figures
    std::map<const ClaimResult*, std::vector<std::string>> data_of;
    std::set<std::string> csvs;
    for (const ClaimResult& r : results) {
      for (const auto& [file, table] : r.tables) {
        if (data_owner[file] != r.claim->id) continue;  // a clash: the first claim's table is kept
        fsutil::write_atomic(dir / "data" / file, table.to_csv());
        data_of[&r].push_back("data/" + file);
        csvs.insert(file);
      }
    }
    remove_stale(dir / "data", csvs, {".csv"});
    fsutil::write_atomic(dir / "config.toml", config_toml(e, plan, results));
    remove_stale(dir / "figures", {}, {".png", ".pdf"});
    if (!plan.no_plots) draw_figures(dir, e.name);

    // report.json and report.md
    std::vector<Json> claims;
    for (const ClaimResult& r : results) {
      std::vector<std::string> figures;
      std::error_code ec;
      for (const std::string& stem : r.claim->figures)
        if (fs::exists(dir / "figures" / (stem + ".png"), ec)) figures.push_back("figures/" + stem + ".png");
      claims.push_back(report::claim_entry(r, data_of[&r], figures));
    }
    report::Meta meta;
    meta.commit = git.commit;
    meta.dirty = git.dirty;
    meta.device = plan.device;
    meta.threads = plan.threads;
    meta.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    meta.argv = argv;
    Json rep = report::experiment_report(e.name, plan.mode, plan.seed, meta, claims);
    // invalid UTF-8 in a claim's text is replaced (U+FFFD) rather than aborting the report
    fsutil::write_atomic(dir / "report.json", rep.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    fsutil::write_atomic(dir / "report.md", report::markdown(rep, e));
    written.push_back((dir / "report.md").string());
  }

  // index.md and junit.xml, from every report.json under out/
  std::vector<std::string> unreadable;
  std::vector<report::Found> reports = read_reports(out, &unreadable);
  fsutil::write_atomic(out / "index.md", report::index_md(reports, unreadable));
  fsutil::write_atomic(out / "junit.xml", report::junit_xml(reports));

  for (const std::string& w : written) std::fprintf(stderr, "attnlab: report: %s\n", w.c_str());
  std::fprintf(stderr, "attnlab: index of every experiment: %s\n", (out / "index.md").string().c_str());
  return all_as_expected ? 0 : 1;
}

// ---- the command line -----------------------------------------------------------------------

// dry: parse and check everything, then return 0 without printing, running or writing.
int cli(int argc, char** argv, const std::string& fixed, bool dry = false) {
  Registry& reg = global_registry();
  const std::string prog = fixed.empty() ? "attnlab" : "attnlab-" + fixed;
  CLI::App app{"attnlab: theorems about attention as executable claims, each ending in PASS or FAIL.", prog};
  app.footer(
      "Exit codes: 0 every verdict as expected, 1 some verdict not as expected, 2 bad usage or input (nothing "
      "written).\nSee '" +
      prog + " run --help' for the options of a run.");
  CLI::App* list = app.add_subcommand("list", "Print every claim: id, kind, expected verdict, source, statement, "
                                              "negative control and parameters.");
  CLI::App* run = app.add_subcommand("run", "Run the claims of one experiment (or all) and write their reports.");
  RawRun raw;
  run->add_option("experiment", raw.experiment,
                  fixed.empty() ? "experiment to run, or 'all' (" + join(experiment_names(reg), ", ") + ")"
                                : "'" + fixed + "' or 'all' (optional: this binary runs only " + fixed + ")");
  CLI::Option* claim = run->add_option("--claim", raw.claim, "run only the claims whose id (with or without the "
                                                             "experiment prefix) matches this glob");
  CLI::Option* quick = run->add_flag("--quick", raw.quick, "quick mode: seconds per claim (default)");
  CLI::Option* full = run->add_flag("--full", raw.full, "full mode: the paper's scale");
  quick->excludes(full);
  CLI::Option* seed = run->add_option("--seed", raw.seed, "random seed, a non-negative integer (default 1)");
  run->add_option("--out", raw.out, "output folder (default: out)");
  CLI::Option* threads = run->add_option(
      "--threads", raw.threads,
      fmt::format("OpenMP threads, 1 to {} (default {}; results do not depend on it)", kMaxThreads, kDefaultThreads));
  run->add_option("--device", raw.device, "cpu (default) or cuda (an error where no GPU is present)");
  run->add_option("--set", raw.sets, "override one parameter: --set <full name>=<value> (repeatable; names in 'list')")
      ->allow_extra_args(false)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  CLI::Option* config = run->add_option("--config", raw.config,
                                        "read a config.toml a run wrote (precedence: mode defaults < config < --set; "
                                        "--seed/--quick/--full/--claim win over its [run])");
  run->add_flag("--no-plots", raw.no_plots, "do not draw figures");

  if (argc > 1) {
    const std::string first = argv[1];
    if (!first.empty() && first[0] != '-' && first != "list" && first != "run")
      throw UsageError("unknown subcommand '" + first + "' (accepted: list, run)");
  }
  // "--flag=" (an empty value) would make CLI11 take the next word as the value, or complain
  // about it instead of the flag: name the flag.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.size() > 3 && a.compare(0, 2, "--") == 0 && a.back() == '=' && a.find('=') == a.size() - 1)
      throw UsageError(a.substr(0, a.size() - 1) + " needs a value, got an empty one");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return dry ? 0 : app.exit(e);  // --help
    throw UsageError(oneline(e.what()));
  }
  if (list->parsed()) {
    if (!dry) print_list(reg);
    return 0;
  }
  if (!run->parsed()) throw UsageError("missing subcommand (accepted: list, run; see " + prog + " --help)");
  raw.claim_given = claim->count() > 0;
  raw.seed_given = seed->count() > 0;
  raw.threads_given = threads->count() > 0;
  raw.config_given = config->count() > 0;
  const Plan plan = make_plan(reg, raw, fixed);
  if (dry) return 0;
  return run_plan(plan, std::vector<std::string>(argv, argv + argc));
}

}  // namespace

std::string check_command_line(const std::vector<std::string>& args, const std::string& fixed_experiment) {
  std::vector<std::string> store = args;
  std::vector<char*> argv;
  for (std::string& a : store) argv.push_back(a.data());
  argv.push_back(nullptr);
  try {
    cli(static_cast<int>(store.size()), argv.data(), fixed_experiment, /*dry=*/true);
    return "";
  } catch (const UsageError& e) {
    return oneline(e.what());
  }
}

int cli_main(int argc, char** argv, const std::string& fixed_experiment) {
  try {
    return cli(argc, argv, fixed_experiment);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "attnlab: error: %s\n", oneline(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attnlab: error: %s\n", oneline(e.what()).c_str());
    return 1;
  }
}

}  // namespace attnlab::exp
