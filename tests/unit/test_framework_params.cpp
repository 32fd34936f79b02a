// Parameters (effective_params, Context lookup), the registry's rules, Context streams and CSVs.
#include "experiments/common/run.hpp"
#include "tests/unit/test_framework_fake.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace attnlab::exp;

namespace {

Claim simple(const std::string& id, std::vector<ParamSpec> params = {}) {
  Claim c;
  c.id = id;
  c.control_name = "ctl";
  c.params = std::move(params);
  c.run = [](Context&) { return Outcome{}; };
  return c;
}

Experiment exp_of(const std::string& name, std::vector<Claim> claims) {
  Experiment e;
  e.name = name;
  e.claims = std::move(claims);
  return e;
}

}  // namespace

TEST_CASE("effective_params: mode defaults, overrides, range checks") {
  const Claim c = simple("e.c", {int_param("n", "", 8, 32, 1, 64), real_param("tol", "", 0.5, 0.25, 0, 1),
                                 real_param("s", "", 1, 1, 0.5, 2, true)});
  auto q = effective_params(c, Mode::quick, {});
  CHECK(q == std::map<std::string, double>{{"e.c.n", 8}, {"e.c.tol", 0.5}, {"e.s", 1}});
  auto f = effective_params(c, Mode::full, {});
  CHECK(f.at("e.c.n") == 32);
  CHECK(f.at("e.c.tol") == 0.25);
  auto o = effective_params(c, Mode::quick, {{"e.c.n", 64}, {"e.s", 0.5}, {"other.claim.x", 3}});
  CHECK(o.at("e.c.n") == 64);
  CHECK(o.at("e.s") == 0.5);
  CHECK(o.count("other.claim.x") == 0);
  CHECK(effective_params(c, Mode::quick, {{"e.c.n", 1}}).at("e.c.n") == 1);  // bounds are inclusive
  CHECK_THROWS_AS(effective_params(c, Mode::quick, {{"e.c.n", 0}}), UsageError);
  CHECK_THROWS_AS(effective_params(c, Mode::quick, {{"e.c.n", 65}}), UsageError);
  CHECK_THROWS_AS(effective_params(c, Mode::quick, {{"e.c.n", 8.5}}), UsageError);
  CHECK_THROWS_AS(effective_params(c, Mode::quick, {{"e.c.tol", 1.5}}), UsageError);
  CHECK_THROWS_AS(effective_params(c, Mode::quick, {{"e.c.tol", std::numeric_limits<double>::quiet_NaN()}}),
                  UsageError);
  CHECK_THROWS_AS(effective_params(c, Mode::quick, {{"e.s", std::numeric_limits<double>::infinity()}}), UsageError);
  try {
    effective_params(c, Mode::quick, {{"e.c.n", 65}});
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) == "e.c.n = 65 is outside the accepted range [1, 64]");
  }
  CHECK(param_full_name(c, c.params[0]) == "e.c.n");
  CHECK(param_full_name(c, c.params[2]) == "e.s");
}

TEST_CASE("Registry: ids, duplicates, shared parameters") {
  Registry r;
  r.add(exp_of("e", {simple("e.a"), simple("e.b")}));
  CHECK(r.find_experiment("e") != nullptr);
  CHECK(r.find_claim("e.b") != nullptr);
  CHECK(r.find_claim("e.z") == nullptr);
  CHECK_THROWS_AS(r.add(exp_of("e", {simple("e.c")})), std::logic_error);            // experiment twice
  CHECK_THROWS_AS(r.add(exp_of("f", {simple("f.a"), simple("f.a")})), std::logic_error);  // claim twice
  CHECK_THROWS_AS(r.add(exp_of("g", {simple("h.a")})), std::logic_error);            // wrong prefix
  CHECK_THROWS_AS(r.add(exp_of("g", {simple("ga")})), std::logic_error);
  CHECK_THROWS_AS(r.add(exp_of("g", {simple("g.")})), std::logic_error);
  Claim no_control = simple("g.a");
  no_control.control_name.clear();
  CHECK_THROWS_AS(r.add(exp_of("g", {no_control})), std::logic_error);
  // a shared parameter declared identically is fine; differently is a logic error
  r.add(exp_of("s", {simple("s.a", {int_param("n", "", 1, 2, 0, 9, true)}),
                     simple("s.b", {int_param("n", "other help", 1, 2, 0, 9, true)})}));
  CHECK_THROWS_AS(r.add(exp_of("t", {simple("t.a", {int_param("n", "", 1, 2, 0, 9, true)}),
                                     simple("t.b", {int_param("n", "", 1, 3, 0, 9, true)})})),
                  std::logic_error);
  CHECK_THROWS_AS(r.add(exp_of("u", {simple("u.a", {int_param("n", "", 10, 2, 0, 9)})})), std::logic_error);
  CHECK(r.experiments().size() == 2);
}

TEST_CASE("Context: parameters by short name, streams, CSVs") {
  const Claim c = simple("e.c", {int_param("n", "", 8, 32, 1, 64), real_param("s", "", 1.5, 1.5, 0, 2, true)});
  Context ctx(c, Mode::quick, 5, 2, Device::cpu, effective_params(c, Mode::quick, {}));
  CHECK(ctx.integer("n") == 8);
  CHECK(ctx.real("n") == 8.0);
  CHECK(ctx.real("s") == 1.5);
  CHECK_THROWS_AS(ctx.integer("s"), std::logic_error);  // declared real
  CHECK_THROWS(ctx.real("undeclared"));
  CHECK(ctx.quick());
  CHECK(ctx.seed() == 5);

  // streams: same (family, index) -> same draws; anything else -> different
  auto a = ctx.rng("S2", 3), b = ctx.rng("S2", 3), other = ctx.rng("S2", 4), fam = ctx.rng("inputs", 3);
  const auto x = a.next_u64();
  CHECK(x == b.next_u64());
  CHECK(x != other.next_u64());
  CHECK(x != fam.next_u64());
  Context other_seed(c, Mode::quick, 6, 2, Device::cpu, effective_params(c, Mode::quick, {}));
  CHECK(other_seed.rng("S2", 3).next_u64() != x);
  CHECK(x == attnlab::core::PhiloxStream(
                 5, attnlab::core::stream_id(attnlab::core::hash64("e.c/S2"), 3)).next_u64());

  Table& t = ctx.csv("e_c.csv", {"a", "b"});
  t.row({1, 2.5});
  CHECK(&ctx.csv("e_c.csv", {"a", "b"}) == &t);
  CHECK_THROWS_AS(ctx.csv("e_c.csv", {"a"}), std::logic_error);
  CHECK_THROWS_AS(ctx.csv("../x.csv", {"a"}), std::logic_error);
  CHECK_THROWS_AS(ctx.csv("x.txt", {"a"}), std::logic_error);
  CHECK(ctx.tables().size() == 1);
}

TEST_CASE("the fake experiment registers") {
  Registry r;
  attnlab::test::register_fake(r);
  REQUIRE(r.find_experiment("fake") != nullptr);
  CHECK(r.find_experiment("fake")->claims.size() == 4);
}
