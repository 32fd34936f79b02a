// Claim contract: enum names, parameter declarations, Check helpers, the registry.
#include "experiments/common/claim.hpp"

#include "experiments/common/format.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace attnlab::exp {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::identity: return "identity";
    case Kind::bound: return "bound";
    case Kind::rate: return "rate";
    case Kind::statistical: return "statistical";
  }
  return "?";
}
const char* to_string(Verdict v) { return v == Verdict::PASS ? "PASS" : "FAIL"; }
const char* to_string(Mode m) { return m == Mode::quick ? "quick" : "full"; }
const char* to_string(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

// ---- parameters -------------------------------------------------------------------------

ParamSpec int_param(std::string name, std::string help, long long quick, long long full, long long lo, long long hi,
                    bool shared) {
  ParamSpec p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.type = ParamSpec::Type::integer;
  p.quick = static_cast<double>(quick);
  p.full = static_cast<double>(full);
  p.lo = static_cast<double>(lo);
  p.hi = static_cast<double>(hi);
  p.shared = shared;
  return p;
}

ParamSpec real_param(std::string name, std::string help, double quick, double full, double lo, double hi,
                     bool shared) {
  ParamSpec p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.type = ParamSpec::Type::real;
  p.quick = quick;
  p.full = full;
  p.lo = lo;
  p.hi = hi;
  p.shared = shared;
  return p;
}

// ---- checks -------------------------------------------------------------------------------
//
// Margins (relative slack; >= 0 exactly when the part holds, larger = more comfortable):
//   at_most(m, t):  (t - m) / s(t)          at_least(m, t): (m - t) / s(t)
//     with s(t) = |t|, or 1 when t == 0 (then the margin is the absolute slack).
//   equals(m, e):   1 when m == e; otherwise -|m - e| / max(|e|, 1).
//   in_range(m, lo, hi): min(m - lo, hi - m) / w, w = (hi - lo) / 2 (1 at the centre, 0 at an end);
//     w = s(lo or hi) when the range is degenerate or half-infinite.
//   interval_inside: as in_range, for the interval's ends: min(ci_lo - lo, hi - ci_hi) / w.
// A non-finite measured value makes the part fail with margin -inf (so Check::all picks it),
// and so does a non-finite threshold of a one-sided part, a NaN range end, or a range whose
// two ends are both infinite. A margin that comes out NaN (inf - inf) is taken as 1 when
// the part holds and -inf when it does not.

namespace {

double scale_of(double t) { return (std::isfinite(t) && t != 0) ? std::fabs(t) : 1.0; }

double half_width(double lo, double hi) {
  if (std::isfinite(lo) && std::isfinite(hi) && hi > lo) return (hi - lo) / 2;
  if (std::isfinite(lo)) return scale_of(lo);
  if (std::isfinite(hi)) return scale_of(hi);
  return 1.0;
}

double clean_margin(double margin, bool holds) {
  if (std::isnan(margin)) return holds ? 1.0 : -std::numeric_limits<double>::infinity();
  return margin;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Check failed_nonfinite(double measured, double threshold, std::string reason) {
  Check c;
  c.holds = false;
  c.measured = measured;
  c.threshold = threshold;
  c.margin = -kInf;
  c.reason = std::move(reason);
  c.nonfinite = true;
  return c;
}

Check nonfinite_value(double measured, double threshold, const std::string& what) {
  return failed_nonfinite(measured, threshold, "non-finite value: " + what + " = " + format::exact(measured));
}

}  // namespace

namespace {

// One-sided comparison: measured <= threshold (upper) or measured >= threshold (lower).
Check one_sided(double measured, double threshold, const std::string& what, bool upper) {
  if (!std::isfinite(measured)) return nonfinite_value(measured, threshold, what);
  // A NaN threshold compares false; an infinite one would make the check vacuous (or
  // impossible): either way the part fails, naming the threshold.
  if (!std::isfinite(threshold))
    return failed_nonfinite(measured, threshold, what + ": threshold is " + format::exact(threshold));
  Check c;
  c.measured = measured;
  c.threshold = threshold;
  const double slack = upper ? threshold - measured : measured - threshold;
  c.holds = slack >= 0;
  c.margin = clean_margin(slack / scale_of(threshold), c.holds);
  auto [m, t] = format::brief_pair(measured, threshold);
  c.reason = what + " = " + m + (upper ? (c.holds ? " <= " : " > ") : (c.holds ? " >= " : " < ")) + t;
  return c;
}

}  // namespace

Check Check::at_most(double measured, double threshold, const std::string& what) {
  return one_sided(measured, threshold, what, true);
}

Check Check::at_least(double measured, double threshold, const std::string& what) {
  return one_sided(measured, threshold, what, false);
}

Check Check::equals(long long measured, long long expected, const std::string& what) {
  Check c;
  c.measured = static_cast<double>(measured);
  c.threshold = static_cast<double>(expected);
  c.holds = measured == expected;
  if (c.holds) {
    c.margin = 1.0;
    c.reason = fmt::format("{} = {} (expected {})", what, measured, expected);
  } else {
    double diff = std::fabs(static_cast<double>(measured) - static_cast<double>(expected));
    c.margin = -diff / std::max(std::fabs(static_cast<double>(expected)), 1.0);
    c.reason = fmt::format("{} = {}, expected {}", what, measured, expected);
  }
  return c;
}

Check Check::in_range(double measured, double lo, double hi, const std::string& what) {
  if (!std::isfinite(measured)) return nonfinite_value(measured, lo, what);
  if (std::isnan(lo) || std::isnan(hi))
    return failed_nonfinite(measured, kNaN, what + ": range end is nan");
  if (!std::isfinite(lo) && !std::isfinite(hi))
    return failed_nonfinite(measured, hi, what + ": both range ends are infinite (the check would be vacuous)");
  if (lo == kInf || hi == -kInf)  // only a half-infinite range [lo, inf] or [-inf, hi] is meaningful
    return failed_nonfinite(measured, lo == kInf ? lo : hi,
                            fmt::format("{}: range end is {}", what, format::exact(lo == kInf ? lo : hi)));
  Check c;
  c.measured = measured;
  c.holds = lo <= measured && measured <= hi;
  c.threshold = (measured - lo <= hi - measured) ? lo : hi;  // the violated end, or the nearer one
  c.margin = clean_margin(std::min(measured - lo, hi - measured) / half_width(lo, hi), c.holds);
  c.reason = fmt::format("{} = {} {} [{}, {}]", what, format::brief(measured), c.holds ? "in" : "outside",
                         format::brief(lo), format::brief(hi));
  return c;
}

Check Check::interval_inside(double estimate, double ci_lo, double ci_hi, double lo, double hi,
                             const std::string& what) {
  if (!std::isfinite(estimate) || !std::isfinite(ci_lo) || !std::isfinite(ci_hi)) {
    double bad = !std::isfinite(estimate) ? estimate : (!std::isfinite(ci_lo) ? ci_lo : ci_hi);
    Check c = failed_nonfinite(bad, kNaN,
                               fmt::format("non-finite value: {} = {} with interval [{}, {}]", what,
                                           format::exact(estimate), format::exact(ci_lo), format::exact(ci_hi)));
    c.measured = std::isfinite(estimate) ? bad : estimate;  // always non-finite, so decide() sees it
    return c;
  }
  if (std::isnan(lo) || std::isnan(hi))
    return failed_nonfinite(estimate, kNaN, what + ": range end is nan");
  if (!std::isfinite(lo) && !std::isfinite(hi))
    return failed_nonfinite(estimate, hi, what + ": both range ends are infinite (the check would be vacuous)");
  if (lo == kInf || hi == -kInf)  // only a half-infinite range [lo, inf] or [-inf, hi] is meaningful
    return failed_nonfinite(estimate, lo == kInf ? lo : hi,
                            fmt::format("{}: range end is {}", what, format::exact(lo == kInf ? lo : hi)));
  Check c;
  c.measured = estimate;
  c.holds = lo <= ci_lo && ci_hi <= hi;
  double slack_lo = ci_lo - lo, slack_hi = hi - ci_hi;
  c.threshold = slack_lo <= slack_hi ? lo : hi;
  c.margin = clean_margin(std::min(slack_lo, slack_hi) / half_width(lo, hi), c.holds);
  c.reason = fmt::format("{} = {} with interval [{}, {}] {} [{}, {}]", what, format::brief(estimate),
                         format::brief(ci_lo), format::brief(ci_hi), c.holds ? "inside" : "not inside",
                         format::brief(lo), format::brief(hi));
  return c;
}

Check Check::custom(bool holds, double measured, double threshold, double margin, std::string reason) {
  if (!std::isfinite(measured)) {
    std::string r = reason;
    if (r.rfind("non-finite value:", 0) != 0)
      r = "non-finite value: measured = " + format::exact(measured) + (r.empty() ? "" : " (" + r + ")");
    return failed_nonfinite(measured, threshold, std::move(r));
  }
  Check c;
  c.holds = holds;
  c.measured = measured;
  c.threshold = threshold;
  c.margin = clean_margin(margin, holds);
  c.reason = std::move(reason);
  return c;
}

Check Check::all(const std::vector<Check>& parts, const std::string& label) {
  std::string prefix = label.empty() ? "" : label + ": ";
  if (parts.empty()) return failed_nonfinite(kNaN, kNaN, prefix + "no parts to check");
  std::size_t least = 0, holding = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (parts[k].holds) ++holding;
    if (parts[k].margin < parts[least].margin) least = k;
  }
  for (std::size_t k = 0; k < parts.size(); ++k)  // a non-finite part is reported before any other
    if (parts[k].nonfinite) {
      least = k;
      break;
    }
  const Check& p = parts[least];
  Check c;
  c.holds = holding == parts.size();
  c.measured = p.measured;
  c.threshold = p.threshold;
  c.margin = p.margin;
  c.reason = fmt::format("{}{} ({} of {} parts hold)", prefix, p.reason, holding, parts.size());
  c.nonfinite = p.nonfinite;
  return c;
}

// ---- registry -----------------------------------------------------------------------------

namespace {

bool is_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

bool is_stem(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '-';
  });
}

bool same_declaration(const ParamSpec& a, const ParamSpec& b) {
  return a.type == b.type && a.quick == b.quick && a.full == b.full && a.lo == b.lo && a.hi == b.hi;
}

void check_param(const Claim& c, const ParamSpec& p) {
  auto fail = [&](const std::string& what) {
    throw std::logic_error("claim " + c.id + ", parameter " + p.name + ": " + what);
  };
  if (!is_name(p.name)) fail("the name must be letters, digits and '_'");
  if (!(p.lo <= p.hi)) fail("the range is empty or not a number");
  for (double v : {p.quick, p.full}) {
    if (!std::isfinite(v) || v < p.lo || v > p.hi) fail("a default lies outside the declared range");
    if (p.type == ParamSpec::Type::integer && v != std::floor(v)) fail("an integer parameter has a fractional default");
  }
}

}  // namespace

void set_degenerate(Experiment& e, const std::string& claim, std::map<std::string, double> overrides,
                    std::string note) {
  for (Claim& c : e.claims) {
    if (c.id != e.name + "." + claim) continue;
    for (const auto& [name, value] : overrides) {
      bool declared = false;
      for (const ParamSpec& p : c.params) declared = declared || p.name == name;
      if (!declared) throw std::logic_error("degenerate setting of " + c.id + " names undeclared parameter " + name);
    }
    if (note.empty()) throw std::logic_error("degenerate setting of " + c.id + " needs a note");
    c.degenerate = std::move(overrides);
    c.degenerate_note = std::move(note);
    return;
  }
  throw std::logic_error("degenerate setting for unknown claim " + e.name + "." + claim);
}

void Registry::add(Experiment e) {
  if (!is_name(e.name)) throw std::logic_error("experiment name '" + e.name + "' must be letters, digits and '_'");
  if (find_experiment(e.name)) throw std::logic_error("experiment " + e.name + " is registered twice");
  std::set<std::string> ids;
  std::map<std::string, ParamSpec> shared;  // short name -> declaration
  for (const Claim& c : e.claims) {
    const std::string prefix = e.name + ".";
    if (c.id.rfind(prefix, 0) != 0 || !is_name(c.id.substr(prefix.size())))
      throw std::logic_error("claim id '" + c.id + "' must be '" + prefix + "<name>' (letters, digits, '_')");
    if (!ids.insert(c.id).second) throw std::logic_error("claim id " + c.id + " is registered twice");
    if (!c.run) throw std::logic_error("claim " + c.id + " has no run function");
    if (c.control_name.empty()) throw std::logic_error("claim " + c.id + " declares no negative control");
    std::set<std::string> names;
    for (const ParamSpec& p : c.params) {
      check_param(c, p);
      if (!names.insert(p.name).second)
        throw std::logic_error("claim " + c.id + " declares parameter " + p.name + " twice");
      if (p.shared) {
        auto [it, fresh] = shared.emplace(p.name, p);
        if (!fresh && !same_declaration(it->second, p))
          throw std::logic_error("shared parameter " + e.name + "." + p.name + " is declared differently by claim " +
                                 c.id + " than by an earlier claim");
      }
    }
    for (const std::string& f : c.figures)
      if (!is_stem(f)) throw std::logic_error("claim " + c.id + ": figure stem '" + f + "' is not a plain file name");
  }
  experiments_.push_back(std::move(e));
}

const Experiment* Registry::find_experiment(const std::string& name) const {
  for (const Experiment& e : experiments_)
    if (e.name == name) return &e;
  return nullptr;
}

const Claim* Registry::find_claim(const std::string& id) const {
  for (const Experiment& e : experiments_)
    for (const Claim& c : e.claims)
      if (c.id == id) return &c;
  return nullptr;
}

Registry& global_registry() {
  static Registry registry;
  return registry;
}

}  // namespace attnlab::exp
