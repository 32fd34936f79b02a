// Check helpers, Check::all, the verdict rule decide(), and run_claim().
#include "experiments/common/run.hpp"
#include "tests/unit/test_framework_fake.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace attnlab::exp;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

Claim claim_with_control(const std::string& control) {
  Claim c;
  c.id = "t.c";
  c.control_name = control;
  return c;
}

Outcome passing_outcome() {
  Outcome o;
  o.guard = Check::at_least(1.0, 0.5, "size");
  o.check = Check::at_most(1e-15, 1e-14, "error");
  o.controls.push_back({"ctl", Check::at_most(0.3, 1e-14, "error")});
  return o;
}

}  // namespace

TEST_CASE("at_most and at_least: holds, margin sign, reason") {
  Check a = Check::at_most(1e-15, 1e-14, "err");
  CHECK(a.holds);
  CHECK(a.margin == Approx(0.9));
  CHECK(a.measured == 1e-15);
  CHECK(a.threshold == 1e-14);
  CHECK(a.reason == "err = 1e-15 <= 1e-14");
  Check b = Check::at_most(2, 1, "err");
  CHECK_FALSE(b.holds);
  CHECK(b.margin == Approx(-1.0));
  CHECK(b.reason == "err = 2 > 1");
  CHECK(Check::at_most(1, 1, "x").holds);  // the boundary holds
  Check c = Check::at_least(3, 2, "gap");
  CHECK(c.holds);
  CHECK(c.margin == Approx(0.5));
  CHECK_FALSE(Check::at_least(1, 2, "gap").holds);
  // zero threshold: absolute slack
  CHECK(Check::at_most(0.25, 0, "d").margin == Approx(-0.25));
  // nearly equal numbers are printed with enough digits to differ
  CHECK(Check::at_most(1.0000001, 1.0, "x").reason == "x = 1.0000001 > 1");
}

TEST_CASE("a non-finite measured value never holds") {
  for (double bad : {kNaN, kInf, -kInf}) {
    for (const Check& k : {Check::at_most(bad, 1, "q"), Check::at_least(bad, 1, "q"), Check::in_range(bad, 0, 1, "q"),
                           Check::interval_inside(bad, 0, 1, -1, 2, "q"), Check::custom(true, bad, 1, 1, "r")}) {
      CHECK_FALSE(k.holds);
      CHECK(starts_with(k.reason, "non-finite value:"));
      CHECK(k.margin == -kInf);
    }
  }
  CHECK(Check::at_most(kNaN, 1, "q").reason == "non-finite value: q = nan");
  CHECK(Check::at_least(-kInf, 1, "q").reason == "non-finite value: q = -inf");
  CHECK(Check::at_most(kInf, 1, "q").reason == "non-finite value: q = inf");
  // a NaN interval end too
  Check k = Check::interval_inside(0.5, kNaN, 0.6, 0, 1, "slope");
  CHECK_FALSE(k.holds);
  CHECK(starts_with(k.reason, "non-finite value:"));
  CHECK_FALSE(std::isfinite(k.measured));
  // a NaN threshold does not hold either
  CHECK_FALSE(Check::at_most(0.1, kNaN, "q").holds);
}

TEST_CASE("equals, in_range, interval_inside") {
  CHECK(Check::equals(4, 4, "rank").holds);
  CHECK(Check::equals(4, 4, "rank").reason == "rank = 4 (expected 4)");
  Check e = Check::equals(3, 4, "rank");
  CHECK_FALSE(e.holds);
  CHECK(e.margin < 0);
  CHECK(e.reason == "rank = 3, expected 4");

  Check r = Check::in_range(0.5, 0.4, 0.6, "slope");
  CHECK(r.holds);
  CHECK(r.margin == Approx(1.0));
  Check out = Check::in_range(0.7, 0.4, 0.6, "slope");
  CHECK_FALSE(out.holds);
  CHECK(out.threshold == 0.6);
  CHECK(Check::in_range(0.3, 0.4, 0.6, "slope").threshold == 0.4);
  CHECK(Check::in_range(2, 1, kInf, "half").holds);

  Check in = Check::interval_inside(0.5, 0.45, 0.55, 0.4, 0.6, "slope");
  CHECK(in.holds);
  CHECK(in.measured == 0.5);
  CHECK(in.margin == Approx(0.5));
  CHECK_FALSE(Check::interval_inside(0.5, 0.3, 0.55, 0.4, 0.6, "slope").holds);
}

TEST_CASE("Check::all picks the least-margin part and counts the parts that hold") {
  std::vector<Check> parts = {Check::at_most(1, 10, "a"), Check::at_most(9, 10, "b"), Check::at_most(5, 10, "c")};
  Check all = Check::all(parts);
  CHECK(all.holds);
  CHECK(all.measured == 9);
  CHECK(all.reason == "b = 9 <= 10 (3 of 3 parts hold)");
  parts.push_back(Check::at_most(20, 10, "d"));
  Check some = Check::all(parts, "S");
  CHECK_FALSE(some.holds);
  CHECK(some.measured == 20);
  CHECK(some.reason == "S: d = 20 > 10 (3 of 4 parts hold)");
  parts.push_back(Check::at_most(kNaN, 10, "e"));
  Check nan = Check::all(parts);
  CHECK_FALSE(nan.holds);
  CHECK(std::isnan(nan.measured));
  CHECK(starts_with(nan.reason, "non-finite value: e = nan"));
  Check empty = Check::all({});
  CHECK_FALSE(empty.holds);
  CHECK(contains(empty.reason, "no parts"));
}

TEST_CASE("decide: PASS only when guard and check hold and every control fails") {
  const Claim c = claim_with_control("ctl");
  auto [v, reason] = decide(passing_outcome(), c);
  CHECK(v == Verdict::PASS);
  CHECK(reason == "error = 1e-15 <= 1e-14; control ctl fails: error = 0.3 > 1e-14");
}

TEST_CASE("decide: every way to FAIL") {
  const Claim c = claim_with_control("ctl");
  SECTION("missing guard") {
    Outcome o = passing_outcome();
    o.guard = Outcome{}.guard;
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(contains(r, "no non-degeneracy guard was set"));
  }
  SECTION("degenerate setting") {
    Outcome o = passing_outcome();
    o.guard = Check::at_least(1e-20, 1e-10, "size");
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(r == "degenerate setting: size = 1e-20 < 1e-10");
  }
  SECTION("NaN in the check") {
    Outcome o = passing_outcome();
    o.check = Check::at_most(kNaN, 1e-14, "error");
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(r == "check: non-finite value: error = nan");
  }
  SECTION("NaN hidden in a custom check that claims to hold") {
    Outcome o = passing_outcome();
    o.check.measured = kNaN;  // bypassing the helpers
    o.check.holds = true;
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(contains(r, "non-finite value"));
  }
  SECTION("NaN in the control") {
    Outcome o = passing_outcome();
    o.controls[0].check = Check::at_most(kInf, 1e-14, "error");
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(r == "control ctl: non-finite value: error = inf");
  }
  SECTION("the check fails") {
    Outcome o = passing_outcome();
    o.check = Check::at_most(1, 1e-14, "error");
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(r == "error = 1 > 1e-14");
  }
  SECTION("the control holds") {
    Outcome o = passing_outcome();
    o.controls[0].check = Check::at_most(1e-16, 1e-14, "error");
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(r == "negative control did not fail: ctl: error = 1e-16 <= 1e-14");
  }
  SECTION("a second control holds") {
    Outcome o = passing_outcome();
    o.controls.push_back({"other", Check::at_most(0, 1, "x")});
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(starts_with(r, "negative control did not fail: other:"));
  }
  SECTION("no control") {
    Outcome o = passing_outcome();
    o.controls.clear();
    auto [v, r] = decide(o, c);
    CHECK(v == Verdict::FAIL);
    CHECK(r == "no negative control");
  }
  SECTION("control name mismatch") {
    auto [v, r] = decide(passing_outcome(), claim_with_control("another"));
    CHECK(v == Verdict::FAIL);
    CHECK(starts_with(r, "control name mismatch"));
  }
}

TEST_CASE("run_claim: verdicts, errors, tables, thread invariance") {
  const Experiment e = attnlab::test::fake_experiment();
  const Claim& sum = e.claims[0];
  const Claim& broken = e.claims[3];
  ClaimResult r1 = run_claim(sum, Mode::quick, 3, 1, Device::cpu);
  ClaimResult r2 = run_claim(sum, Mode::quick, 3, 2, Device::cpu);
  CHECK(r1.verdict == Verdict::PASS);
  CHECK(r1.wall_s >= 0);
  REQUIRE(r1.tables.count("fake_sums.csv") == 1);
  CHECK(r1.tables.at("fake_sums.csv").rows().size() == 6);
  CHECK(r1.tables.at("fake_sums.csv").to_csv() == r2.tables.at("fake_sums.csv").to_csv());
  CHECK(r1.params.at("fake.sum_identity.trials") == 6);
  CHECK(r1.params.at("fake.scale") == 1.0);
  ClaimResult other_seed = run_claim(sum, Mode::quick, 4, 2, Device::cpu);
  CHECK(other_seed.tables.at("fake_sums.csv").to_csv() != r1.tables.at("fake_sums.csv").to_csv());

  ClaimResult b = run_claim(broken, Mode::quick, 1, 2, Device::cpu);
  CHECK(b.verdict == Verdict::FAIL);
  CHECK(b.reason == "error: boom");

  Claim no_run = sum;
  no_run.run = nullptr;
  CHECK(run_claim(no_run, Mode::quick, 1, 1, Device::cpu).verdict == Verdict::FAIL);

  CHECK_THROWS_AS(run_claim(sum, Mode::quick, 1, 1, Device::cpu, {{"fake.sum_identity.trials", 0}}), UsageError);
}
