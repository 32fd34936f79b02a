// Non-finite numbers injected into each kind of check (identity, bound, rate, statistical)
// through test-only claims: every injection must end in FAIL with a reason naming the
// value, and the report must carry it as "nan" / "inf" / "-inf", never null and never PASS.
#include "experiments/common/report.hpp"
#include "experiments/common/run.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using namespace attnlab::exp;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

// Where the non-finite number goes.
enum class Site { measured, threshold, guard, control, part_of_all, interval_end };

struct Injection {
  Site site;
  double value;
  std::string text;  // how the report must spell it
};

const std::vector<Injection>& injections() {
  static const std::vector<Injection> all = [] {
    std::vector<Injection> v;
    for (Site s : {Site::measured, Site::threshold, Site::guard, Site::control, Site::part_of_all, Site::interval_end})
      for (auto [x, t] : std::vector<std::pair<double, std::string>>{{kNaN, "nan"}, {kInf, "inf"}, {-kInf, "-inf"}})
        v.push_back({s, x, t});
    return v;
  }();
  return all;
}

// The healthy check of each kind (it holds), with the number at `site` replaced by `bad`
// when `inject` is set.
Check kind_check(Kind kind, bool inject, Site site, double bad) {
  const bool m = inject && site == Site::measured, t = inject && site == Site::threshold,
             e = inject && site == Site::interval_end;
  switch (kind) {
    case Kind::identity: return Check::at_most(m ? bad : 2e-16, t ? bad : 1e-14, "max rel. error");
    case Kind::bound: return Check::at_least(m ? bad : 3.0, t ? bad : 1.0, "bound - measured");
    case Kind::rate: {
      // a fitted slope: point estimate (measured) with its interval inside a band (threshold = band end)
      // a range end: NaN or +inf as the lower end, -inf as the upper end (a -inf lower end is a
      // legitimate one-sided range, [-inf, hi])
      const bool t_lo = t && !(bad == -kInf), t_hi = t && bad == -kInf;
      return Check::interval_inside(m ? bad : -3.0, e ? bad : -3.1, -2.9, t_lo ? bad : -3.5, t_hi ? bad : -2.5,
                                    "slope");
    }
    case Kind::statistical: {
      const bool t_lo = t && !(bad == -kInf), t_hi = t && bad == -kInf;
      return Check::interval_inside(m ? bad : 0.01, -0.02, e ? bad : 0.04, t_lo ? bad : -0.1, t_hi ? bad : 0.1,
                                    "mean difference");
    }
  }
  return {};
}

Claim injected_claim(Kind kind, const Injection& in, bool inject) {
  Claim c;
  c.id = std::string("inject.") + to_string(kind);
  c.kind = kind;
  c.source = "test";
  c.statement = "a healthy check, unless a non-finite number is injected";
  c.criterion = "the check holds";
  c.control_name = "broken setting";
  c.run = [kind, in, inject](Context&) {
    Outcome o;
    o.guard = Check::at_least(inject && in.site == Site::guard ? in.value : 1.0, 0.5, "signal size");
    Check main = kind_check(kind, inject, in.site, in.value);
    if (inject && in.site == Site::part_of_all)
      main = Check::all({main, Check::at_most(in.value, 1.0, "second part"), kind_check(kind, false, in.site, 0)});
    o.check = main;
    // the control fails for a real reason, unless a non-finite number is injected into it
    const double ctl = inject && in.site == Site::control ? in.value : 5.0;
    o.controls.push_back({"broken setting", Check::at_most(ctl, 1.0, "control error")});
    return o;
  };
  return c;
}

}  // namespace

TEST_CASE("each kind of check PASSes when healthy (so the injections below are what fails)") {
  for (Kind kind : {Kind::identity, Kind::bound, Kind::rate, Kind::statistical}) {
    Claim c = injected_claim(kind, injections()[0], false);
    ClaimResult r = run_claim(c, Mode::quick, 1, 1, Device::cpu);
    INFO(to_string(kind) << ": " << r.reason);
    CHECK(r.verdict == Verdict::PASS);
  }
}

TEST_CASE("NaN and Inf injected anywhere in each kind of check: FAIL with the reason, spelled out in the report") {
  int injected = 0;
  for (Kind kind : {Kind::identity, Kind::bound, Kind::rate, Kind::statistical}) {
    for (const Injection& in : injections()) {
      if (in.site == Site::interval_end && (kind == Kind::identity || kind == Kind::bound)) continue;
      ++injected;
      Claim c = injected_claim(kind, in, true);
      ClaimResult r = run_claim(c, Mode::quick, 1, 2, Device::cpu);
      INFO(to_string(kind) << " site " << static_cast<int>(in.site) << " value " << in.text << ": " << r.reason);
      CHECK(r.verdict == Verdict::FAIL);
      // the reason names the non-finite number (or the non-finite threshold / end)
      CHECK((contains(r.reason, "non-finite") || contains(r.reason, "threshold is") || contains(r.reason, "range end") ||
             contains(r.reason, "infinite")));
      CHECK(contains(r.reason, in.text == "-inf" ? "inf" : in.text));

      report::Json entry = report::claim_entry(r, {}, {});
      report::Meta meta;
      report::Json rep = report::experiment_report("inject", Mode::quick, 1, meta, {entry});
      const std::string dumped = rep.dump();
      CHECK_FALSE(contains(dumped, "null"));
      CHECK(entry["verdict"] == "FAIL");
      CHECK(rep["summary"]["fail"] == 1);
      CHECK(rep["summary"]["pass"] == 0);
      // the injected value itself, where the report has a slot for it
      if (in.site == Site::measured || in.site == Site::part_of_all) CHECK(entry["measured"] == in.text);
      if (in.site == Site::control) CHECK(entry["control"]["measured"] == in.text);
      if (in.site == Site::threshold && kind != Kind::rate && kind != Kind::statistical)
        CHECK(entry["threshold"] == in.text);
      // the people's report and junit say FAIL too
      Experiment e;
      e.name = "inject";
      e.claims = {c};
      const std::string md = report::markdown(rep, e);
      CHECK(contains(md, "FAIL"));
      CHECK(contains(md, "**0 PASS, 1 FAIL"));
      const std::string junit = report::junit_xml({{"inject", rep}});
      CHECK(contains(junit, "<failure"));
    }
  }
  CHECK(injected == 4 * 15 + 2 * 3);
}
