// Parameter resolution, the verdict rule of DESIGN.md, and running one claim in memory.
#include "experiments/common/run.hpp"

#include "experiments/common/format.hpp"
#include "experiments/common/params.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <optional>

namespace attnlab::exp {

std::string param_full_name(const Claim& c, const ParamSpec& p) {
  return (p.shared ? c.experiment() : c.id) + "." + p.name;
}

std::string check_param_value(const std::string& full_name, const ParamSpec& p, double v) {
  if (!std::isfinite(v)) return full_name + " = " + format::exact(v) + ": the value must be a finite number";
  if (p.type == ParamSpec::Type::integer && v != std::floor(v))
    return full_name + " = " + format::exact(v) + ": the value must be an integer";
  if (v < p.lo || v > p.hi)
    return full_name + " = " + format::exact(v) + " is outside the accepted range [" + format::exact(p.lo) + ", " +
           format::exact(p.hi) + "]";
  return "";
}

std::map<std::string, double> effective_params(const Claim& c, Mode mode,
                                               const std::map<std::string, double>& overrides) {
  std::map<std::string, double> out;
  for (const ParamSpec& p : c.params) {
    const std::string full = param_full_name(c, p);
    double v = mode == Mode::quick ? p.quick : p.full;
    auto it = overrides.find(full);
    if (it != overrides.end()) {
      std::string problem = check_param_value(full, p, it->second);
      if (!problem.empty()) throw UsageError(problem);
      v = it->second;
    }
    out[full] = v;
  }
  return out;
}

namespace {

// A non-finite number anywhere (a measured value, or a part flagged nonfinite: threshold, interval or
// range end) decides the verdict first: "<where>: <reason>".
std::optional<std::string> nonfinite(const Check& k, const std::string& where) {
  if (std::isfinite(k.measured) && !k.nonfinite) return std::nullopt;
  if (std::isfinite(k.measured)) return where + ": " + k.reason;  // a threshold, interval or range end
  std::string r = k.reason;
  if (r.rfind("non-finite value:", 0) != 0)
    r = "non-finite value: measured = " + format::exact(k.measured) + (r.empty() ? "" : " (" + r + ")");
  return where + ": " + r;
}

}  // namespace

std::pair<Verdict, std::string> decide(const Outcome& o, const Claim& c) {
  const auto fail = [](std::string why) { return std::make_pair(Verdict::FAIL, std::move(why)); };
  if (auto r = nonfinite(o.guard, "guard")) return fail(*r);
  if (auto r = nonfinite(o.check, "check")) return fail(*r);
  for (const ControlCheck& k : o.controls)
    if (auto r = nonfinite(k.check, "control " + k.name)) return fail(*r);
  if (!o.guard.holds) return fail("degenerate setting: " + o.guard.reason);
  if (!o.check.holds) return fail(o.check.reason);
  if (o.controls.empty()) return fail("no negative control");
  if (o.controls[0].name != c.control_name)
    return fail("control name mismatch: the claim declares '" + c.control_name + "' but the outcome reports '" +
                o.controls[0].name + "'");
  for (const ControlCheck& k : o.controls)
    if (k.check.holds) return fail("negative control did not fail: " + k.name + ": " + k.check.reason);
  std::string reason = o.check.reason + "; control " + o.controls[0].name + " fails: " + o.controls[0].check.reason;
  if (o.controls.size() > 1) reason += " (and " + std::to_string(o.controls.size() - 1) + " more controls fail)";
  return {Verdict::PASS, reason};
}

ClaimResult run_claim(const Claim& c, Mode mode, std::uint64_t seed, int threads, Device device,
                      const std::map<std::string, double>& overrides, const std::filesystem::path& work_dir,
                      UnitStore* units) {
  ClaimResult r;
  r.claim = &c;
  r.params = effective_params(c, mode, overrides);  // UsageError propagates: the CLI validated beforehand
  if (c.check_params)
    if (std::string problem = c.check_params(r.params); !problem.empty()) throw UsageError(c.id + ": " + problem);
  omp_set_num_threads(threads < 1 ? 1 : threads);
  Context ctx(c, mode, seed, threads, device, r.params);
  ctx.set_work_dir(work_dir);
  ctx.set_units(units);
  const auto t0 = std::chrono::steady_clock::now();
  bool ran = false;
  try {
    if (!c.run) throw std::logic_error("claim has no run function");
    r.outcome = c.run(ctx);
    ran = true;
  } catch (const std::exception& e) {
    r.reason = std::string("error: ") + e.what();
  } catch (...) {
    r.reason = "error: unknown exception";
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.tables = ctx.tables();
  if (ran) {
    std::tie(r.verdict, r.reason) = decide(r.outcome, c);
  } else {
    r.verdict = Verdict::FAIL;
  }
  if (units && units->role() == UnitStore::Role::merge) {
    const std::vector<std::string> missing = units->missing();
    if (!missing.empty()) {
      r.verdict = Verdict::FAIL;
      r.reason = "error: merge: " + std::to_string(missing.size()) + " unit(s) in no shard's record (first: " +
                 missing.front() + "); the claim's units must depend only on the seed, the parameters and their index";
    }
  }
  return r;
}

}  // namespace attnlab::exp
