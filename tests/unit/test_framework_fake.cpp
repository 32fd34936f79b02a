// The "fake" experiment: small, deterministic claims exercising every path of the framework
// (parameters, shared parameters, random streams, OpenMP trials, CSVs, expected FAIL, errors).
#include "tests/unit/test_framework_fake.hpp"

#include "experiments/common/context.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace attnlab::test {

using namespace attnlab::exp;

namespace {

// Per-trial sums of 64 normals from stream `trial`, computed in parallel into fixed slots. Each
// trial is one unit of work (Context::unit), so a sharded run spreads the trials.
std::vector<double> trial_sums(Context& ctx, const std::string& family, long long trials, double scale) {
  std::vector<double> sums(static_cast<std::size_t>(trials));
#pragma omp parallel for schedule(dynamic)
  for (long long t = 0; t < trials; ++t) {
    sums[static_cast<std::size_t>(t)] = ctx.unit(family, static_cast<std::uint64_t>(t), 1, [&] {
      core::PhiloxStream rng = ctx.rng(family, static_cast<std::uint64_t>(t));
      double s = 0;
      for (int k = 0; k < 64; ++k) s += rng.normal();
      return std::vector<double>{scale * s};
    })[0];
  }
  return sums;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

Claim sum_identity() {
  Claim c;
  c.id = "fake.sum_identity";
  c.kind = Kind::identity;
  c.source = "fake source (number not confirmed)";
  c.statement = "Summing a trial's draws twice gives the same number.";
  c.criterion = "max |difference| <= 0";
  c.control_name = "perturbed second sum";
  c.control_description = "adds 1e-3 to the second sum";
  c.params = {int_param("trials", "trials", 6, 50, 1, 100000),
              real_param("scale", "scale of the draws", 1.0, 1.0, 0.5, 2.0, /*shared=*/true)};
  c.figures = {"fake_sums"};
  c.units = true;
  c.run = [](Context& ctx) {
    const long long trials = ctx.integer("trials");
    const double scale = ctx.real("scale");
    std::vector<double> a = trial_sums(ctx, "draws", trials, scale);
    std::vector<double> b = trial_sums(ctx, "draws", trials, scale);
    Table& t = ctx.csv("fake_sums.csv", {"trial", "sum", "label"});
    double diff = 0, diff_control = 0;
    for (long long k = 0; k < trials; ++k) {
      const auto i = static_cast<std::size_t>(k);
      diff = std::max(diff, std::fabs(a[i] - b[i]));
      diff_control = std::max(diff_control, std::fabs(a[i] - (b[i] + 1e-3)));
      t.row({k, a[i], k % 2 ? "odd, \"quoted\"" : "even"});
    }
    ctx.progress("done");
    Outcome o;
    o.guard = Check::at_least(max_abs(a), 1e-6, "max |sum|");
    o.check = Check::at_most(diff, 0.0, "max |difference|");
    o.controls.push_back({"perturbed second sum", Check::at_most(diff_control, 0.0, "max |difference|")});
    return o;
  };
  return c;
}

Claim second() {
  Claim c;
  c.id = "fake.second";
  c.kind = Kind::bound;
  c.source = "fake source";
  c.statement = "The mean of a trial's draws is below a tolerance in absolute value.";
  c.criterion = "max |mean| <= tol";
  c.interpretation = true;
  c.interpretation_note = "the tolerance is ours";
  c.control_name = "shifted draws";
  c.params = {real_param("tol", "tolerance on the mean", 0.75, 0.5, 0.01, 10.0),
              real_param("scale", "scale of the draws", 1.0, 1.0, 0.5, 2.0, /*shared=*/true)};
  c.run = [](Context& ctx) {
    std::vector<double> s = trial_sums(ctx, "draws", 16, ctx.real("scale"));
    Table& t = ctx.csv("fake_second.csv", {"trial", "mean"});
    double worst = 0, worst_shifted = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
      t.row({static_cast<long long>(k), s[k] / 64});
      worst = std::max(worst, std::fabs(s[k] / 64));
      worst_shifted = std::max(worst_shifted, std::fabs(s[k] / 64 + 5));
    }
    Outcome o;
    o.guard = Check::at_least(worst, 1e-9, "max |mean|");
    o.check = Check::at_most(worst, ctx.real("tol"), "max |mean|");
    o.controls.push_back({"shifted draws", Check::at_most(worst_shifted, ctx.real("tol"), "max |mean + 5|")});
    return o;
  };
  return c;
}

Claim refuted() {
  Claim c;
  c.id = "fake.refuted";
  c.kind = Kind::bound;
  c.source = "fake source";
  c.statement = "A refuted statement: 2 <= 1.";
  c.criterion = "2 <= 1";
  c.expected = Verdict::FAIL;
  c.control_name = "none";
  c.run = [](Context&) {
    Outcome o;
    o.guard = Check::at_least(2, 1, "value");
    o.check = Check::at_most(2, 1, "value");
    o.controls.push_back({"none", Check::at_most(3, 1, "value")});
    return o;
  };
  return c;
}

Claim broken() {
  Claim c;
  c.id = "fake.broken";
  c.kind = Kind::rate;
  c.source = "fake source";
  c.statement = "A claim whose code throws.";
  c.criterion = "none";
  c.control_name = "none";
  c.figures = {"fake_broken"};
  c.run = [](Context&) -> Outcome { throw std::runtime_error("boom"); };
  return c;
}

}  // namespace

Experiment fake_experiment() {
  Experiment e;
  e.name = "fake";
  e.title = "A fake experiment for the framework's tests";
  e.source = "nobody, \"Nothing\" (2025)";
  e.claims = {sum_identity(), second(), refuted(), broken()};
  return e;
}

void register_fake(Registry& r) { r.add(fake_experiment()); }

}  // namespace attnlab::test
