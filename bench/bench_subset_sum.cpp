// Exact best-subset-sum search (core/subset_sum.hpp): scaling in the pool size m. Meet in the
// middle costs O(2^{m/2}) per problem (sorted halves by doubling, two-pointer sweep), against
// O(2^m m) for brute force. Compare ratios between rows of one run, not absolute times.
#include "core/rng.hpp"
#include "core/subset_sum.hpp"

#include <benchmark/benchmark.h>

#include <vector>

using namespace attnlab::core;

static std::vector<double> pool(int m, std::uint64_t s) {
  PhiloxStream rng(s, 0);
  std::vector<double> v(m);
  for (auto& x : v) x = rng.uniform(-1, 1);
  return v;
}

static void BM_MeetInTheMiddle(benchmark::State& st) {
  const int m = int(st.range(0));
  const auto v = pool(m, 1);
  SubsetSumWorkspace ws;
  double t = 0.123;
  for (auto _ : st) {
    auto r = best_subset_sum(v, t, ws);
    benchmark::DoNotOptimize(r);
    t = -t;
  }
  st.counters["m"] = m;
}
BENCHMARK(BM_MeetInTheMiddle)->DenseRange(8, 36, 4);

static void BM_BruteForce(benchmark::State& st) {
  const int m = int(st.range(0));
  const auto v = pool(m, 1);
  for (auto _ : st) {
    auto r = best_subset_sum_brute(v, 0.123);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_BruteForce)->DenseRange(8, 20, 4);

// One trial's worth of problems (d^2 + d d_out per head, here 2 heads at d = d_out = 3: 36
// problems of size m), threads over problems.
static void BM_Batch(benchmark::State& st) {
  const int m = int(st.range(0)), threads = int(st.range(1));
  std::vector<std::vector<double>> pools;
  std::vector<double> targets;
  for (int k = 0; k < 36; ++k) {
    pools.push_back(pool(m, 100 + k));
    targets.push_back(0.01 * k - 0.2);
  }
  for (auto _ : st) {
    auto r = best_subset_sum_batch(pools, targets, threads);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Batch)->Args({24, 1})->Args({24, 2})->UseRealTime();

BENCHMARK_MAIN();
