// The command line of DESIGN.md: `list` and `run`, every input validated before anything is
// written; then the claims run and their results are written (each file atomically) in the
// order data, config.toml, figures, report.json, report.md, and last out/index.md, out/junit.xml.
#include "experiments/common/run.hpp"

#include "core/cuda.hpp"
#include "core/rng.hpp"
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
      if (!c.degenerate_note.empty()) {
        std::string set;
        for (const auto& [name, value] : c.degenerate) set += " " + name + "=" + format::exact(value);
        std::printf("    degenerate setting:%s (%s)\n", set.empty() ? " none" : set.c_str(), oneline(c.degenerate_note).c_str());
      }
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
  std::string shard;
  bool shard_given = false, shard_from_env = false;
};

constexpr std::uint64_t kMaxShards = 100000;

// "K/N" with 1 <= K <= N.
bool parse_shard(const std::string& text, int* k, int* n) {
  const std::size_t slash = text.find('/');
  std::uint64_t a = 0, b = 0;
  if (slash == std::string::npos || !parse_unsigned(text.substr(0, slash), kMaxShards, &a) ||
      !parse_unsigned(text.substr(slash + 1), kMaxShards, &b) || a < 1 || a > b)
    return false;
  *k = int(a);
  *n = int(b);
  return true;
}

// --shard-from-env: a Slurm job array. Slurm numbers the tasks SLURM_ARRAY_TASK_MIN ..
// SLURM_ARRAY_TASK_MAX (often 0..N-1 or 1..N); shard K = SLURM_ARRAY_TASK_ID - MIN + 1 of N =
// SLURM_ARRAY_TASK_COUNT. The ids must be contiguous (step 1, MAX - MIN + 1 = COUNT).
void shard_from_env(int* k, int* n) {
  auto get = [](const char* name, bool required, std::uint64_t* v) {
    const char* s = std::getenv(name);
    if (!s || !*s) {
      if (required)
        throw UsageError(std::string("--shard-from-env: ") + name +
                         " is not set (run inside a Slurm job array, sbatch --array=0-<N-1>, or use --shard K/N)");
      return false;
    }
    if (!parse_unsigned(s, 1u << 30, v))
      throw UsageError(std::string("--shard-from-env: ") + name + " = '" + s + "' is not a non-negative integer");
    return true;
  };
  std::uint64_t id = 0, count = 0, min = 0, max = 0, step = 1;
  get("SLURM_ARRAY_TASK_ID", true, &id);
  get("SLURM_ARRAY_TASK_COUNT", true, &count);
  get("SLURM_ARRAY_TASK_MIN", true, &min);
  const bool has_max = get("SLURM_ARRAY_TASK_MAX", false, &max);
  if (get("SLURM_ARRAY_TASK_STEP", false, &step) && step != 1)
    throw UsageError(fmt::format("--shard-from-env: SLURM_ARRAY_TASK_STEP = {}: the array must be contiguous "
                                 "(--array=0-<N-1> or 1-<N>, step 1)", step));
  if (count < 1 || count > kMaxShards)
    throw UsageError(fmt::format("--shard-from-env: SLURM_ARRAY_TASK_COUNT = {} (accepted: 1 to {})", count, kMaxShards));
  if (has_max && max - min + 1 != count)
    throw UsageError(fmt::format("--shard-from-env: the array ids {}..{} are not {} contiguous tasks "
                                 "(use --array=0-{} or 1-{})", min, max, count, count - 1, count));
  if (id < min || id - min >= count)
    throw UsageError(fmt::format("--shard-from-env: SLURM_ARRAY_TASK_ID = {} is outside {}..{}", id, min,
                                 min + count - 1));
  *k = int(id - min + 1);
  *n = int(count);
}

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
  int shard_k = 0, shard_n = 0;  // --shard K/N (1 <= K <= N); N = 0: not sharded
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

  // Sharded runs.
  if (raw.shard_given && raw.shard_from_env) throw UsageError("--shard and --shard-from-env exclude each other");
  if (raw.shard_given && !parse_shard(raw.shard, &plan.shard_k, &plan.shard_n))
    throw UsageError(fmt::format("--shard must be K/N with 1 <= K <= N <= {}, got '{}'", kMaxShards, raw.shard));
  if (raw.shard_from_env) shard_from_env(&plan.shard_k, &plan.shard_n);

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
    if (plan.shard_n > 0) {
      const fs::path sd = dir / "shards" / fmt::format("{}-of-{}", plan.shard_k, plan.shard_n);
      for (const fs::path& d : {dir / "shards", sd, sd / "units", sd / "whole"}) check_not_blocked(d, true);
      check_not_blocked(sd / "complete.json", false);
    }
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

// Warns (and marks the later claim FAIL) where two claims write the same data file.
void check_clashes(ClaimResult& r, std::map<std::string, std::string>* owner) {
  std::vector<std::string> files;
  for (const auto& [file, table] : r.tables) files.push_back(file);
  for (const auto& [file, text] : r.csv_text) files.push_back(file);
  for (const std::string& file : files) {
    auto [it, fresh] = owner->emplace(file, r.claim->id);
    if (!fresh && it->second != r.claim->id) {
      r.verdict = Verdict::FAIL;
      r.reason = "error: data file " + file + " is also written by claim " + it->second;
    }
  }
}

void print_claim_line(const Experiment& e, const ClaimResult& r, bool tty) {
  const Claim* c = r.claim;
  const std::string short_name = c->id.substr(c->id.find('.') + 1);
  const bool ok = r.verdict == c->expected;
  std::fprintf(stderr, "%s[%s] %s  %s (expected %s)  %.2f s%s\n", tty ? "\r\033[K" : "", e.name.c_str(),
               short_name.c_str(), to_string(r.verdict), to_string(c->expected), r.wall_s,
               ok ? "" : ("  NOT AS EXPECTED: " + oneline(r.reason)).c_str());
}

// Writes one experiment's results into `dir` (data, config.toml, figures, report.json, report.md),
// each file atomically. Returns the path of report.md.
std::string write_experiment(const Plan& plan, const Experiment& e, const fs::path& dir,
                             const std::vector<ClaimResult>& results, const std::map<std::string, std::string>& owner,
                             const GitInfo& git, double wall_s, const std::vector<std::string>& argv) {
  const fs::path out = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  // Before anything of this experiment is rewritten, the files that would vouch for the
  // old contents go: a run killed from here on leaves no report.json, index.md or
  // junit.xml describing data it did not finish writing. Temporaries of a killed run go too.
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
    std::map<std::string, std::string> texts = r.csv_text;
    for (const auto& [file, table] : r.tables) texts.emplace(file, table.to_csv());
    for (const auto& [file, text] : texts) {
      auto it = owner.find(file);
      if (it != owner.end() && it->second != r.claim->id) continue;  // a clash: the first claim's table is kept
      fsutil::write_atomic(dir / "data" / file, text);
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
  meta.wall_s = wall_s;
  meta.argv = argv;
  Json rep = report::experiment_report(e.name, plan.mode, plan.seed, meta, claims);
  // invalid UTF-8 in a claim's text is replaced (U+FFFD) rather than aborting the report
  fsutil::write_atomic(dir / "report.json", rep.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  fsutil::write_atomic(dir / "report.md", report::markdown(rep, e));
  return (dir / "report.md").string();
}

// index.md and junit.xml, from every report.json under out/
void write_index(const fs::path& out, const std::vector<std::string>& written) {
  std::vector<std::string> unreadable;
  std::vector<report::Found> reports = read_reports(out, &unreadable);
  fsutil::write_atomic(out / "index.md", report::index_md(reports, unreadable));
  fsutil::write_atomic(out / "junit.xml", report::junit_xml(reports));
  for (const std::string& w : written) std::fprintf(stderr, "attnlab: report: %s\n", w.c_str());
  std::fprintf(stderr, "attnlab: index of every experiment: %s\n", (out / "index.md").string().c_str());
}

int run_shard(const Plan& plan, const std::vector<std::string>& argv);

int run_plan(const Plan& plan, const std::vector<std::string>& argv) {
  fsutil::install_interrupt_handler();
  if (plan.shard_n > 0) return run_shard(plan, argv);
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
      results.push_back(run_claim(*c, plan.mode, plan.seed, plan.threads, plan.device, plan.overrides,
                                  out / e.name / "checkpoints" / short_name));
      check_clashes(results.back(), &data_owner);
      all_as_expected = all_as_expected && results.back().verdict == c->expected;
      print_claim_line(e, results.back(), tty);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    written.push_back(write_experiment(plan, e, out / e.name, results, data_owner, git, wall, argv));
  }
  write_index(out, written);
  return all_as_expected ? 0 : 1;
}

// ---- sharded runs and merge (SHARDING.draft.md) ---------------------------------------------
//
// out/<experiment>/shards/K-of-N/ holds, for shard K of N:
//   units/<claim>.tsv   the units of a claim with Claim::units that this shard owns (UnitStore text)
//   whole/<claim>.json  the result of a claim without units that runs whole here: the whole claims
//                       of the run, in order, go round-robin to shards 1, 2, ..., N
//   complete.json       written last (atomically): the shard's identity (experiment, commit, mode,
//                       seed, N, claim glob, claims, effective parameters) and its metadata.
// Each claim file starts with the identity's hash and the shard number, so a re-run after an
// interruption reuses the claims finished before it; a re-run of a complete shard with the
// same identity is skipped.

std::string hex64(std::uint64_t x) { return fmt::format("{:016x}", x); }

std::string short_of(const Claim& c) { return c.id.substr(c.id.find('.') + 1); }

// Identity of the shards of one experiment: what every shard of a merge must share.
Json shard_identity(const Plan& plan, const Selected& s, const std::string& commit) {
  Json id;
  id["experiment"] = s.experiment->name;
  id["commit"] = commit;
  id["mode"] = to_string(plan.mode);
  id["seed"] = plan.seed;
  id["shards"] = plan.shard_n;
  id["claim"] = plan.glob;
  Json claims = Json::array();
  for (const Claim* c : s.claims) claims.push_back(Json{{"id", c->id}, {"units", c->units}});
  id["claims"] = claims;
  Json params = Json::object();
  for (const Claim* c : s.claims)
    for (const auto& [name, v] : effective_params(*c, plan.mode, plan.overrides)) params[name] = format::exact(v);
  id["params"] = params;
  return id;
}

std::string claim_file_header(const Json& identity, int k, const Claim& c) {
  return fmt::format("# attnlab shard {}-of-{} identity {} claim {}", k, identity["shards"].get<int>(),
                     hex64(core::hash64(identity.dump().c_str())), c.id);
}

// The claims of a shard run: for each, "units", or the shard that runs it whole.
std::vector<int> whole_owner(const std::vector<const Claim*>& claims, int n) {
  std::vector<int> owner;
  int j = 0;
  for (const Claim* c : claims) owner.push_back(c->units ? 0 : (j++ % n) + 1);
  return owner;
}

Json check_json(const Check& k) {
  return Json{{"holds", k.holds},
              {"measured", format::exact(k.measured)},
              {"threshold", format::exact(k.threshold)},
              {"margin", format::exact(k.margin)},
              {"reason", k.reason},
              {"nonfinite", k.nonfinite}};
}

double parse_exact(const Json& j) {
  const std::string t = j.get<std::string>();
  double x = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
  if (ec != std::errc() || p != t.data() + t.size()) throw std::runtime_error("'" + t + "' is not a number");
  return x;
}

Check check_from(const Json& j) {
  Check k;
  k.holds = j.at("holds").get<bool>();
  k.measured = parse_exact(j.at("measured"));
  k.threshold = parse_exact(j.at("threshold"));
  k.margin = parse_exact(j.at("margin"));
  k.reason = j.at("reason").get<std::string>();
  k.nonfinite = j.at("nonfinite").get<bool>();
  return k;
}

std::string whole_text(const std::string& header, const ClaimResult& r) {
  Json j;
  j["header"] = header;
  j["id"] = r.claim->id;
  j["verdict"] = to_string(r.verdict);
  j["reason"] = r.reason;
  j["wall_s"] = r.wall_s;
  Json o;
  o["guard"] = check_json(r.outcome.guard);
  o["check"] = check_json(r.outcome.check);
  Json controls = Json::array();
  for (const ControlCheck& k : r.outcome.controls) controls.push_back(Json{{"name", k.name}, {"check", check_json(k.check)}});
  o["controls"] = controls;
  j["outcome"] = o;
  Json csv = Json::object();
  for (const auto& [file, table] : r.tables) csv[file] = table.to_csv();
  j["csv"] = csv;
  return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

// The header line of a claim file ("" when absent or unreadable).
std::string file_header(const fs::path& p, bool json) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return "";
  try {
    const std::string text = fsutil::read_text(p);
    if (json) return Json::parse(text).at("header").get<std::string>();
    return text.substr(0, text.find('\n'));
  } catch (const std::exception&) {
    return "";
  }
}

int run_shard(const Plan& plan, const std::vector<std::string>& argv) {
  const bool tty = isatty(2);
  const GitInfo git = git_info();
  const fs::path out(plan.out);
  const int k = plan.shard_k, n = plan.shard_n;
  for (const Selected& s : plan.runs) {
    const Experiment& e = *s.experiment;
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path dir = out / e.name / "shards" / fmt::format("{}-of-{}", k, n);
    const Json identity = shard_identity(plan, s, git.commit);
    // A complete shard with the same identity is not run again.
    {
      std::error_code ec;
      bool done = false;
      if (fs::is_regular_file(dir / "complete.json", ec)) {
        try {
          const Json m = Json::parse(fsutil::read_text(dir / "complete.json"));
          done = m.at("identity") == identity && m.at("shard").get<int>() == k;
        } catch (const std::exception&) {
        }
      }
      if (done) {
        std::fprintf(stderr, "attnlab: shard %d/%d of %s is already complete (%s): skipped\n", k, n, e.name.c_str(),
                     dir.string().c_str());
        continue;
      }
      fs::remove(dir / "complete.json", ec);  // the marker goes first: it must never vouch for a mix
      for (const fs::path& d : {dir, dir / "units", dir / "whole"}) fsutil::remove_temporaries(d);
    }
    const std::vector<int> owner = whole_owner(s.claims, n);
    Json claims = Json::array();
    for (std::size_t i = 0; i < s.claims.size(); ++i) {
      const Claim& c = *s.claims[i];
      const std::string short_name = short_of(c);
      const std::string header = claim_file_header(identity, k, c);
      Json entry{{"id", c.id}};
      if (owner[i] != 0 && owner[i] != k) {
        entry["role"] = fmt::format("whole in shard {}-of-{}", owner[i], n);
        claims.push_back(entry);
        continue;
      }
      const bool units = owner[i] == 0;
      const fs::path file = dir / (units ? "units" : "whole") / (short_name + (units ? ".tsv" : ".json"));
      entry["role"] = units ? "units" : "whole";
      entry["file"] = fs::relative(file, dir).string();
      if (file_header(file, !units) == header) {  // finished before an interruption
        std::fprintf(stderr, "[%s] %s  shard %d/%d: kept from an earlier run (%s)\n", e.name.c_str(),
                     short_name.c_str(), k, n, entry["file"].get<std::string>().c_str());
        claims.push_back(entry);
        continue;
      }
      if (tty) std::fprintf(stderr, "\r\033[K[%s] %s  running...", e.name.c_str(), short_name.c_str());
      if (units) {
        UnitStore store(UnitStore::Role::shard, c.id, k, n);
        ClaimResult r = run_claim(c, plan.mode, plan.seed, plan.threads, plan.device, plan.overrides,
                                  out / e.name / "checkpoints" / short_name, &store);
        fsutil::write_atomic(file, store.to_text(header));
        entry["units_requested"] = store.requested();
        entry["units_computed"] = store.stored();
        entry["wall_s"] = r.wall_s;
        std::fprintf(stderr, "%s[%s] %s  shard %d/%d: %zu of %zu units computed  %.2f s\n", tty ? "\r\033[K" : "",
                     e.name.c_str(), short_name.c_str(), k, n, store.stored(), store.requested(), r.wall_s);
      } else {
        ClaimResult r = run_claim(c, plan.mode, plan.seed, plan.threads, plan.device, plan.overrides,
                                  out / e.name / "checkpoints" / short_name);
        fsutil::write_atomic(file, whole_text(header, r));
        entry["wall_s"] = r.wall_s;
        std::fprintf(stderr, "%s[%s] %s  shard %d/%d: run whole here  %.2f s\n", tty ? "\r\033[K" : "",
                     e.name.c_str(), short_name.c_str(), k, n, r.wall_s);
      }
      claims.push_back(entry);
    }
    Json marker;
    marker["shard"] = k;
    marker["identity"] = identity;
    marker["dirty"] = git.dirty;
    marker["threads"] = plan.threads;
    marker["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    marker["argv"] = argv;
    marker["claims"] = claims;
    fsutil::write_atomic(dir / "complete.json", marker.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    std::fprintf(stderr, "attnlab: shard %d/%d of %s complete: %s (merge with: attnlab merge %s)\n", k, n,
                 e.name.c_str(), dir.string().c_str(), (out / e.name).string().c_str());
  }
  return 0;
}

// What one shard directory holds, for merge.
struct ShardDir {
  int k = 0, n = 0;
  std::string name;  // "K-of-N"
  fs::path path;
  bool complete = false;
  Json marker;
};

// How two identities differ, in words ("seed 2, not 1; parameter x 3, not 4").
std::string identity_diff(const Json& a, const Json& ref) {
  std::vector<std::string> d;
  for (const char* key : {"experiment", "commit", "mode", "seed", "shards", "claim"})
    if (a.value(key, Json()) != ref.value(key, Json()))
      d.push_back(fmt::format("{} {}, not {}", key == std::string("shards") ? "N" : key, a.value(key, Json()).dump(),
                              ref.value(key, Json()).dump()));
  if (a.value("claims", Json()) != ref.value("claims", Json())) d.push_back("claims differ");
  const Json pa = a.value("params", Json::object()), pr = ref.value("params", Json::object());
  if (pa != pr) {
    std::vector<std::string> names;
    for (const auto& [name, v] : pa.items())
      if (!pr.contains(name) || pr[name] != v) names.push_back(name);
    for (const auto& [name, v] : pr.items())
      if (!pa.contains(name)) names.push_back(name);
    d.push_back("parameters " + join(names, ", "));
  }
  return join(d, "; ");
}

struct MergeJob {
  const Experiment* experiment = nullptr;
  fs::path dir;
  Plan plan;
  Selected selected{nullptr, {}};
  std::vector<ShardDir> shards;  // 1..N in order
  Json identity;
};

// Checks one experiment folder for a merge; throws UsageError with one line naming what is wrong.
MergeJob plan_merge(const Registry& reg, const std::string& arg, const std::string& fixed, int threads, bool no_plots) {
  fs::path dir = fs::path(arg).lexically_normal();
  if (dir.filename().empty() && dir.has_parent_path()) dir = dir.parent_path();  // "out/x/" -> "out/x"
  const std::string where = "merge " + arg + ": ";
  std::error_code ec;
  if (!fs::is_directory(dir / "shards", ec))
    throw UsageError(where + "no shards/ folder (run 'attnlab run <experiment> --shard K/N --out <out>' first)");
  std::vector<ShardDir> found;
  for (const fs::directory_entry& d : fs::directory_iterator(dir / "shards", ec)) {
    const std::string name = d.path().filename().string();
    const std::size_t of = name.find("-of-");
    std::uint64_t k = 0, n = 0;
    if (!d.is_directory(ec) || of == std::string::npos || !parse_unsigned(name.substr(0, of), 1000000, &k) ||
        !parse_unsigned(name.substr(of + 4), 1000000, &n) || k < 1 || k > n)
      continue;
    ShardDir s{int(k), int(n), name, d.path(), false, Json()};
    try {
      s.marker = Json::parse(fsutil::read_text(d.path() / "complete.json"));
      s.complete = s.marker.at("shard").get<int>() == s.k && s.marker.at("identity").is_object();
    } catch (const std::exception&) {
      s.complete = false;
    }
    found.push_back(std::move(s));
  }
  if (found.empty()) throw UsageError(where + "no shard folders K-of-N under " + (dir / "shards").string());
  std::set<int> ns;
  for (const ShardDir& s : found) ns.insert(s.n);
  if (ns.size() > 1) {
    std::vector<std::string> groups;
    for (int n : ns) {
      std::vector<std::string> names;
      for (const ShardDir& s : found)
        if (s.n == n) names.push_back(s.name);
      std::sort(names.begin(), names.end());
      groups.push_back(join(names, ", "));
    }
    throw UsageError(where + "shards of different N are mixed (" + join(groups, " | ") +
                     "); remove the folders of the other run");
  }
  const int n = *ns.begin();
  std::vector<ShardDir> by_k(n + 1);
  for (ShardDir& s : found) by_k[s.k] = std::move(s);
  std::vector<std::string> missing, incomplete, mismatched;
  const ShardDir* ref = nullptr;
  for (int k = 1; k <= n; ++k) {
    if (by_k[k].k == 0) missing.push_back(fmt::format("{}-of-{}", k, n));
    else if (!by_k[k].complete) incomplete.push_back(by_k[k].name);
    else if (!ref) ref = &by_k[k];
  }
  if (ref) {
    for (int k = 1; k <= n; ++k) {
      const ShardDir& s = by_k[k];
      if (s.k == 0 || !s.complete || &s == ref) continue;
      const Json& a = s.marker["identity"];
      if (a != ref->marker["identity"])
        mismatched.push_back(s.name + " differs from " + ref->name + " (" + identity_diff(a, ref->marker["identity"]) +
                             ")");
    }
  }
  if (!missing.empty() || !incomplete.empty() || !mismatched.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back("missing " + join(missing, ", "));
    if (!incomplete.empty()) parts.push_back("incomplete (no completion marker) " + join(incomplete, ", "));
    if (!mismatched.empty()) parts.push_back("mismatched: " + join(mismatched, "; "));
    throw UsageError(where + fmt::format("the {} shards are not all complete and consistent: ", n) +
                     join(parts, "; "));
  }

  MergeJob job;
  job.dir = dir;
  job.identity = ref->marker["identity"];
  const Json& id = job.identity;
  std::string experiment, mode, glob;
  try {
    experiment = id.at("experiment").get<std::string>();
    mode = id.at("mode").get<std::string>();
    glob = id.at("claim").get<std::string>();
    job.plan.seed = id.at("seed").get<std::uint64_t>();
    for (const auto& [name, v] : id.at("params").items()) job.plan.overrides[name] = parse_exact(v);
    if (id.at("shards").get<int>() != n) throw std::runtime_error("N in the marker differs from the folder names");
  } catch (const std::exception& e) {
    throw UsageError(where + ref->name + "/complete.json: " + oneline(e.what()));
  }
  if (!fixed.empty() && experiment != fixed)
    throw UsageError(where + "the shards are of experiment '" + experiment + "'; this binary merges only '" + fixed + "'");
  job.experiment = reg.find_experiment(experiment);
  if (!job.experiment) throw UsageError(where + "the shards are of experiment '" + experiment + "', which this binary does not have");
  job.plan.mode = mode == "full" ? Mode::full : Mode::quick;
  job.plan.glob = glob;
  job.plan.threads = threads;
  job.plan.no_plots = no_plots;
  job.plan.shard_n = 0;
  job.plan.out = dir.has_parent_path() ? dir.parent_path().string() : ".";
  job.selected.experiment = job.experiment;
  for (const Claim& c : job.experiment->claims)
    if (glob.empty() || claim_matches(glob, c)) job.selected.claims.push_back(&c);
  // The claims and parameters of this binary must be those the shards ran.
  Plan probe = job.plan;
  probe.shard_n = n;
  Json here;
  try {
    here = shard_identity(probe, job.selected, id.at("commit").get<std::string>());
  } catch (const UsageError& e) {
    throw UsageError(where + oneline(e.what()));
  }
  if (here != id)
    throw UsageError(where + "this binary's claims or parameters differ from the shards' (" + identity_diff(here, id) +
                     ")");
  // Every claim file the markers name must be there, written for this identity.
  const std::vector<int> owner = whole_owner(job.selected.claims, n);
  std::vector<std::string> lacking;
  for (std::size_t i = 0; i < job.selected.claims.size(); ++i) {
    const Claim& c = *job.selected.claims[i];
    for (int k = 1; k <= n; ++k) {
      if (owner[i] != 0 && owner[i] != k) continue;
      const bool units = owner[i] == 0;
      const fs::path file = by_k[k].path / (units ? "units" : "whole") / (short_of(c) + (units ? ".tsv" : ".json"));
      if (file_header(file, !units) != claim_file_header(id, k, c))
        lacking.push_back(fs::relative(file, dir).string());
    }
  }
  if (!lacking.empty())
    throw UsageError(where + "claim files missing or not of this run: " + join(lacking, ", "));
  job.plan.runs.push_back(job.selected);
  for (int k = 1; k <= n; ++k) job.shards.push_back(by_k[k]);
  // Nothing in the experiment folder may block the writes.
  check_not_blocked(dir / "data", true);
  check_not_blocked(dir / "figures", true);
  for (const char* f : {"report.json", "report.md", "config.toml"}) check_not_blocked(dir / f, false);
  return job;
}

int run_merge(const std::vector<MergeJob>& jobs, const std::vector<std::string>& argv) {
  fsutil::install_interrupt_handler();
  const bool tty = isatty(2);
  const GitInfo git = git_info();
  bool all_as_expected = true;
  std::vector<std::string> written;
  std::set<std::string> outs;
  for (const MergeJob& job : jobs) {
    const Experiment& e = *job.experiment;
    const Plan& plan = job.plan;
    const int n = int(job.shards.size());
    const std::string shard_commit = job.identity["commit"].get<std::string>();
    if (shard_commit != git.commit)
      warn("merge " + job.dir.string() + ": the shards ran at commit " + shard_commit + ", this binary is at " +
           git.commit + "; the reductions are recomputed by this binary");
    const auto t0 = std::chrono::steady_clock::now();
    double shard_wall = 0;
    for (const ShardDir& s : job.shards) shard_wall += s.marker.value("wall_s", 0.0);
    std::vector<ClaimResult> results;
    const std::vector<int> owner = whole_owner(job.selected.claims, n);
    for (std::size_t i = 0; i < job.selected.claims.size(); ++i) {
      const Claim& c = *job.selected.claims[i];
      const std::string short_name = short_of(c);
      double wall_in_shards = 0;
      for (const ShardDir& s : job.shards)
        for (const Json& entry : s.marker.value("claims", Json::array()))
          if (entry.value("id", "") == c.id) wall_in_shards += entry.value("wall_s", 0.0);
      if (owner[i] == 0) {
        UnitStore store(UnitStore::Role::merge, c.id);
        for (const ShardDir& s : job.shards) {
          const fs::path file = s.path / "units" / (short_name + ".tsv");
          store.add_text(fsutil::read_text(file), file.string());
        }
        ClaimResult r = run_claim(c, plan.mode, plan.seed, plan.threads, plan.device, plan.overrides, {}, &store);
        r.wall_s += wall_in_shards;
        results.push_back(std::move(r));
      } else {
        const fs::path file = job.shards[owner[i] - 1].path / "whole" / (short_name + ".json");
        const Json j = Json::parse(fsutil::read_text(file));
        ClaimResult r;
        r.claim = &c;
        r.params = effective_params(c, plan.mode, plan.overrides);
        r.verdict = j.at("verdict").get<std::string>() == "PASS" ? Verdict::PASS : Verdict::FAIL;
        r.reason = j.at("reason").get<std::string>();
        r.wall_s = j.at("wall_s").get<double>();
        const Json& o = j.at("outcome");
        r.outcome.guard = check_from(o.at("guard"));
        r.outcome.check = check_from(o.at("check"));
        for (const Json& k : o.at("controls")) r.outcome.controls.push_back({k.at("name").get<std::string>(), check_from(k.at("check"))});
        for (const auto& [name, text] : j.at("csv").items()) r.csv_text[name] = text.get<std::string>();
        results.push_back(std::move(r));
      }
    }
    std::map<std::string, std::string> data_owner;
    for (ClaimResult& r : results) check_clashes(r, &data_owner);
    for (const ClaimResult& r : results) {
      all_as_expected = all_as_expected && r.verdict == r.claim->expected;
      print_claim_line(e, r, tty);
    }
    const double wall = shard_wall + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    written.push_back(write_experiment(plan, e, job.dir, results, data_owner, git, wall, argv));
    outs.insert(plan.out);
  }
  for (const std::string& out : outs) write_index(out, written);
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
  CLI::Option* shard = run->add_option(
      "--shard", raw.shard,
      "run only shard K of N (K/N, 1 <= K <= N): its share of the units of work, written under "
      "<out>/<experiment>/shards/K-of-N/; combine the N shards with 'merge'");
  CLI::Option* shard_env = run->add_flag(
      "--shard-from-env", raw.shard_from_env,
      "the shard from a Slurm job array: K = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1, N = "
      "SLURM_ARRAY_TASK_COUNT (ids contiguous, e.g. --array=0-<N-1>)");
  shard->excludes(shard_env);
  CLI::App* merge = app.add_subcommand(
      "merge", "Merge the shards of a sharded run (out/<experiment>/shards/K-of-N/) into the normal report, data "
               "and figures of out/<experiment>: every shard must be complete and of the same run.");
  std::vector<std::string> merge_dirs;
  std::string merge_threads;
  bool merge_no_plots = false;
  merge->add_option("folders", merge_dirs, "experiment folders to merge, e.g. out/rank_collapse")->required();
  CLI::Option* merge_threads_opt = merge->add_option(
      "--threads", merge_threads, fmt::format("OpenMP threads, 1 to {} (default {})", kMaxThreads, kDefaultThreads));
  merge->add_flag("--no-plots", merge_no_plots, "do not draw figures");

  if (argc > 1) {
    const std::string first = argv[1];
    if (!first.empty() && first[0] != '-' && first != "list" && first != "run" && first != "merge")
      throw UsageError("unknown subcommand '" + first + "' (accepted: list, run, merge)");
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
  if (merge->parsed()) {
    int threads = kDefaultThreads;
    if (merge_threads_opt->count() > 0) {
      std::uint64_t t = 0;
      if (!parse_unsigned(merge_threads, kMaxThreads, &t) || t < 1)
        throw UsageError(
            fmt::format("--threads must be an integer from 1 to {}, got '{}'", kMaxThreads, merge_threads));
      threads = int(t);
    }
    std::vector<MergeJob> jobs;
    std::set<std::string> seen;
    for (const std::string& d : merge_dirs) {
      jobs.push_back(plan_merge(reg, d, fixed, threads, merge_no_plots));
      if (!seen.insert(fs::weakly_canonical(jobs.back().dir).string()).second)
        throw UsageError("merge: folder " + d + " is named twice");
    }
    if (dry) return 0;
    return run_merge(jobs, std::vector<std::string>(argv, argv + argc));
  }
  if (!run->parsed()) throw UsageError("missing subcommand (accepted: list, run, merge; see " + prog + " --help)");
  raw.claim_given = claim->count() > 0;
  raw.seed_given = seed->count() > 0;
  raw.threads_given = threads->count() > 0;
  raw.config_given = config->count() > 0;
  raw.shard_given = shard->count() > 0;
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
