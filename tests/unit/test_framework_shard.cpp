// Units of work for sharded runs (Context::unit, UnitStore): the assignment partitions the units,
// the record round-trips every double exactly, and a merge answers every unit from the records.
#include "experiments/common/context.hpp"
#include "experiments/common/run.hpp"
#include "tests/unit/test_framework_fake.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <vector>

using namespace attnlab::exp;

namespace {

std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

const Claim& sum_identity() {
  static const Experiment e = attnlab::test::fake_experiment();
  return e.claims[0];
}

}  // namespace

TEST_CASE("every unit is owned by exactly one shard, and the shares are balanced") {
  for (int n : {1, 2, 3, 7}) {
    std::deque<UnitStore> stores;
    for (int k = 1; k <= n; ++k) stores.emplace_back(UnitStore::Role::shard, "x.claim", k, n);
    std::vector<int> per_shard(n, 0);
    for (const char* family : {"a", "b/c", "depth 3"})
      for (std::uint64_t i = 0; i < 60; ++i) {
        int owners = 0;
        for (int k = 0; k < n; ++k)
          if (stores[k].owns(family, i)) {
            ++owners;
            ++per_shard[k];
          }
        REQUIRE(owners == 1);
      }
    int total = 0;
    for (int k = 0; k < n; ++k) total += per_shard[k];
    REQUIRE(total == 180);
    // Consecutive indices of one family go round-robin: each shard gets 60/n or 60/n + 1 of them.
    for (int k = 0; k < n; ++k) {
      int count = 0;
      for (std::uint64_t i = 0; i < 60; ++i) count += stores[k].owns("a", i);
      CHECK(count >= 60 / n);
      CHECK(count <= 60 / n + 1);
    }
  }
  REQUIRE_THROWS(UnitStore(UnitStore::Role::shard, "x.claim", 0, 2));
  REQUIRE_THROWS(UnitStore(UnitStore::Role::shard, "x.claim", 3, 2));
}

TEST_CASE("a shard computes only its units; the others are NaN; the record round-trips exactly") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> odd = {0.1, -0.0, 5e-324, 1.7976931348623157e308, inf, -inf, nan, 1.0 / 3.0, -2.5e-17};
  UnitStore shard(UnitStore::Role::shard, "fake.sum_identity", 1, 2);
  std::map<std::uint64_t, std::vector<double>> computed;
  int calls = 0;
  for (std::uint64_t i = 0; i < 8; ++i) {
    std::vector<double> v;
    if (!shard.lookup("f", i, odd.size(), &v)) {
      ++calls;
      v = odd;
      v[0] += double(i);
      shard.record("f", i, v);
      computed[i] = v;
    } else {
      REQUIRE(v.size() == odd.size());
      for (double x : v) REQUIRE(std::isnan(x));
      REQUIRE_FALSE(shard.owns("f", i));
    }
  }
  REQUIRE(calls == 4);
  REQUIRE(shard.requested() == 8);
  REQUIRE(shard.stored() == 4);
  const std::string text = shard.to_text("# header");
  REQUIRE(text.rfind("# header\n", 0) == 0);

  UnitStore merge(UnitStore::Role::merge, "fake.sum_identity");
  merge.add_text(text, "t");
  merge.add_text(text, "t again");  // the same values twice are fine
  for (const auto& [i, want] : computed) {
    std::vector<double> got;
    REQUIRE(merge.lookup("f", i, want.size(), &got));
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
      if (std::isnan(want[k]))
        REQUIRE(std::isnan(got[k]));
      else
        REQUIRE(bits(got[k]) == bits(want[k]));
    }
  }
  REQUIRE(merge.missing().empty());
  std::vector<double> got;
  REQUIRE(merge.lookup("f", 1000, 2, &got));  // in no record: NaNs, and listed as missing
  REQUIRE(std::isnan(got[0]));
  REQUIRE(merge.missing() == std::vector<std::string>{"f#1000"});
  REQUIRE_THROWS(merge.lookup("f", computed.begin()->first, odd.size() + 1, &got));  // wrong size

  std::string other = text;  // the first unit's first number changed
  const std::size_t tab = other.find('\t', other.find('\t', other.find('\n')) + 1);
  other.insert(tab + 1, "9");
  UnitStore clash(UnitStore::Role::merge, "fake.sum_identity");
  clash.add_text(text, "t");
  REQUIRE_THROWS_WITH(clash.add_text(other, "u"), Catch::Contains("stored twice with different values"));
  REQUIRE_THROWS_WITH(clash.add_text("f\tx\t1\n", "bad"), Catch::Contains("bad:1"));
  REQUIRE_THROWS_WITH(clash.add_text("f\t1\t1 zz\n", "bad"), Catch::Contains("'zz'"));
}

TEST_CASE("run_claim: shards then merge give the unsharded claim's tables and verdict") {
  const Claim& c = sum_identity();
  const ClaimResult plain = run_claim(c, Mode::quick, 5, 2, Device::cpu);
  REQUIRE(plain.verdict == Verdict::PASS);
  for (int n : {2, 3}) {
    UnitStore merged(UnitStore::Role::merge, c.id);
    std::size_t total = 0;
    for (int k = 1; k <= n; ++k) {
      UnitStore shard(UnitStore::Role::shard, c.id, k, n);
      run_claim(c, Mode::quick, 5, 1 + k % 2, Device::cpu, {}, {}, &shard);
      REQUIRE(shard.requested() == 6);  // trials in quick mode
      total += shard.stored();
      merged.add_text(shard.to_text("# shard"), "shard");
    }
    REQUIRE(total == 6);
    const ClaimResult m = run_claim(c, Mode::quick, 5, 2, Device::cpu, {}, {}, &merged);
    REQUIRE(m.verdict == plain.verdict);
    REQUIRE(m.reason == plain.reason);
    REQUIRE(m.tables.at("fake_sums.csv").to_csv() == plain.tables.at("fake_sums.csv").to_csv());
  }
  // A merge missing a shard's units: the claim FAILs, naming the missing unit.
  UnitStore partial(UnitStore::Role::merge, c.id);
  UnitStore shard(UnitStore::Role::shard, c.id, 1, 2);
  run_claim(c, Mode::quick, 5, 2, Device::cpu, {}, {}, &shard);
  partial.add_text(shard.to_text("# shard"), "shard");
  const ClaimResult m = run_claim(c, Mode::quick, 5, 2, Device::cpu, {}, {}, &partial);
  REQUIRE(m.verdict == Verdict::FAIL);
  REQUIRE_THAT(m.reason, Catch::Contains("in no shard's record"));
}

TEST_CASE("Context::unit checks the declared size") {
  const Claim& c = sum_identity();
  Context ctx(c, Mode::quick, 1, 1, Device::cpu, {});
  REQUIRE(ctx.unit("f", 0, 2, [] { return std::vector<double>{1, 2}; }) == std::vector<double>{1, 2});
  REQUIRE_THROWS_WITH(ctx.unit("f", 0, 3, [] { return std::vector<double>{1, 2}; }), Catch::Contains("declared 3"));
}
