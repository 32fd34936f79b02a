// The claim contract of DESIGN.md: a claim is data plus one function that returns the
// outcome of its check and of its negative control(s). The framework (run.cpp) turns an
// Outcome into a verdict: PASS only when the guard and the check hold AND every control's
// check fails; a non-finite measured value is a FAIL with that reason, never a PASS.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace attnlab::exp {

class Context;

enum class Kind { identity, bound, rate, statistical };
enum class Verdict { PASS, FAIL };
enum class Mode { quick, full };
enum class Device { cpu, cuda };

const char* to_string(Kind);
const char* to_string(Verdict);
const char* to_string(Mode);
const char* to_string(Device);

// One declared parameter with its quick and full defaults and its accepted closed range.
// Full name: "<claim id>.<name>", or "<experiment>.<name>" when shared by the experiment's
// claims (then every claim that declares it must declare it identically).
struct ParamSpec {
  enum class Type { integer, real };
  std::string name;  // short name, e.g. "inputs"
  std::string help;
  Type type = Type::integer;
  double quick = 0, full = 0;
  double lo = 0, hi = 0;
  bool shared = false;
};
ParamSpec int_param(std::string name, std::string help, long long quick, long long full, long long lo, long long hi,
                    bool shared = false);
ParamSpec real_param(std::string name, std::string help, double quick, double full, double lo, double hi,
                     bool shared = false);

// The result of evaluating one criterion (or one part of it).
// margin: relative slack, > 0 comfortably holding, < 0 violated; used to pick the part
// with the least margin when parts are combined. Non-finite measured => holds = false.
struct Check {
  bool holds = false;
  double measured = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double margin = -std::numeric_limits<double>::infinity();
  std::string reason;
  // The part failed because a number in it is not finite (measured, threshold, an interval or
  // range end): not a real failure, so the verdict is FAIL even where this is a control.
  bool nonfinite = false;

  // measured <= threshold.  `what` names the quantity, e.g. "max rel. error S2".
  static Check at_most(double measured, double threshold, const std::string& what);
  // measured >= threshold.
  static Check at_least(double measured, double threshold, const std::string& what);
  // integer equality (ranks, counts); measured/threshold carry the two integers.
  static Check equals(long long measured, long long expected, const std::string& what);
  // lo <= measured <= hi (e.g. a fitted rate inside a band); threshold records the violated or nearer end.
  static Check in_range(double measured, double lo, double hi, const std::string& what);
  // A confidence interval [ci_lo, ci_hi] lies inside [lo, hi]; measured = the point estimate.
  static Check interval_inside(double estimate, double ci_lo, double ci_hi, double lo, double hi,
                               const std::string& what);
  // Arbitrary part: the caller states everything.
  static Check custom(bool holds, double measured, double threshold, double margin, std::string reason);
  // All parts must hold; measured/threshold/reason come from the part with the least margin,
  // and the reason says how many parts hold. An empty list does NOT hold.
  static Check all(const std::vector<Check>& parts, const std::string& label = "");
};

struct ControlCheck {
  std::string name;  // must equal the claim's declared control name for controls[0]
  Check check;       // the same check, run on the mutated setting: must NOT hold
};

struct Outcome {
  // Non-degeneracy guard: the measured quantity is above its floor. Defaults to NOT holding,
  // so a claim that forgets to set it cannot PASS.
  Check guard = Check::custom(false, std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::quiet_NaN(), -1, "no non-degeneracy guard was set");
  Check check;
  std::vector<ControlCheck> controls;  // at least one; controls[0] is reported in report.json
};

struct Claim {
  std::string id;  // "<experiment>.<claim_name>" exactly as in the spec
  Kind kind = Kind::identity;
  std::string source;     // paper, arXiv id, result name / number ("number not confirmed")
  std::string statement;  // one sentence
  std::string criterion;  // what PASS means, with its tolerance
  bool interpretation = false;
  std::string interpretation_note;  // which part is the paper's, which is ours (when interpretation)
  Verdict expected = Verdict::PASS;
  std::string control_name;       // the (first) negative control
  std::string control_description;
  std::vector<ParamSpec> params;
  std::vector<std::string> figures;  // figure file stems, e.g. "ssm_heads_rank_gap" (png and pdf)
  bool has_cuda_path = false;
  // Its heavy work goes through Context::unit: `attnlab run --shard K/N` spreads its units over
  // the shards. Otherwise the claim runs whole in one shard (see SHARDING.draft.md).
  bool units = false;
  // Optional constraints between parameters, given the effective values (full names -> values):
  // returns "" when they are consistent, else one sentence naming the problem (bad input, exit 2).
  std::function<std::string(const std::map<std::string, double>&)> check_params;
  std::function<Outcome(Context&)> run;
  // A setting under which the non-degeneracy guard must trip (the verdict FAILs with
  // "degenerate setting: ..."): parameter overrides by short name, quick mode. Empty, with
  // degenerate_note saying why, where no parameter reaches the guard. tests/unit/
  // exp_degenerate.cpp runs every one of them.
  std::map<std::string, double> degenerate;
  std::string degenerate_note;

  std::string experiment() const { return id.substr(0, id.find('.')); }
};

struct Experiment {
  std::string name;
  std::string title;   // one line
  std::string source;  // the paper
  std::vector<Claim> claims;
};

// Declares claim `<e.name>.<claim>`'s degenerate setting (see Claim::degenerate); an empty
// `overrides` says no parameter reaches the guard and `note` says why. Throws
// std::logic_error for an unknown claim or a parameter it does not declare.
void set_degenerate(Experiment& e, const std::string& claim, std::map<std::string, double> overrides,
                    std::string note);

class Registry {
 public:
  void add(Experiment e);
  const std::vector<Experiment>& experiments() const { return experiments_; }
  const Experiment* find_experiment(const std::string& name) const;
  const Claim* find_claim(const std::string& id) const;

 private:
  std::vector<Experiment> experiments_;
};

// Every experiment's registration function (experiments/<name>/register.cpp).
void register_ssm_heads(Registry&);
void register_nw_ensemble(Registry&);
void register_rank_collapse(Registry&);
void register_lottery_ticket(Registry&);
void register_tensor_attention(Registry&);
void register_icl_regression(Registry&);
// The registry with every experiment linked into this binary.
Registry& global_registry();

}  // namespace attnlab::exp
