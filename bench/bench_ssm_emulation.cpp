// The cost of emulating a linear SSM with k positional heads against running its recurrence,
// and the softmax multi-head forward at the same sizes. Run side by side in one process:
// compare the ratios, not the absolute times (shared, noisy machines).
//   build/release/bench/bench_ssm_emulation --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "core/attention.hpp"
#include "core/cuda.hpp"
#include "core/ssm.hpp"

#include <benchmark/benchmark.h>

using namespace attnlab::core;

namespace {
struct Fixture {
  int n, d = 4, p = 4, N = 8, H = 8;
  LinearSSM<double> ssm;
  MatrixXd X;
  FactorizedLayer<double> layer;
  explicit Fixture(int n_) : n(n_) {
    PhiloxStream r(1, 0);
    ssm = {normal_dynamics(N, r), r.normal_matrix(N, d, 0.35), r.normal_matrix(p, N, 0.35), MatrixXd::Zero(p, d)};
    X = r.normal_matrix(n, d);
    for (int h = 0; h < H; ++h) {
      layer.alpha.push_back(toeplitz_causal<double>(r.normal_vector(n), n));
      layer.V.push_back(r.normal_matrix(p, d));
    }
  }
};
}  // namespace

static void BM_ssm_recurrence(benchmark::State& st) {
  Fixture f(int(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(f.ssm.forward(f.X));
  st.SetItemsProcessed(st.iterations() * f.n);
}
static void BM_positional_heads_eigen(benchmark::State& st) {
  Fixture f(int(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(factorized_forward(f.layer, f.X));
  st.SetItemsProcessed(st.iterations() * f.n);
}
static void BM_positional_heads_flat_cpu_twin(benchmark::State& st) {
  Fixture f(int(st.range(0)));
  PositionalShape s{1, f.n, f.d, f.p, f.H};
  std::vector<double> X(f.X.size()), c(size_t(f.H) * f.n), V(size_t(f.H) * f.p * f.d), Y;
  for (int i = 0; i < f.n; ++i)
    for (int k = 0; k < f.d; ++k) X[size_t(i) * f.d + k] = f.X(i, k);
  for (int h = 0; h < f.H; ++h) {
    for (int m = 0; m < f.n; ++m) c[size_t(h) * f.n + m] = f.layer.alpha[h](m, 0);
    for (int k = 0; k < f.p * f.d; ++k) V[size_t(h) * f.p * f.d + k] = f.layer.V[h].data()[k];
  }
  for (auto _ : st) {
    positional_forward_cpu(s, X, c, V, Y);
    benchmark::DoNotOptimize(Y.data());
  }
  st.SetItemsProcessed(st.iterations() * f.n);
}
static void BM_softmax_multihead(benchmark::State& st) {
  Fixture f(int(st.range(0)));
  PhiloxStream r(2, 0);
  MultiHeadSoftmax<double> mh;
  for (int h = 0; h < f.H; ++h)
    mh.heads.push_back({r.normal_matrix(4, f.d), r.normal_matrix(4, f.d), r.normal_matrix(4, f.d), r.normal_matrix(f.p, 4)});
  SoftmaxOptions opt;
  for (auto _ : st) benchmark::DoNotOptimize(mh.forward(f.X, opt));
  st.SetItemsProcessed(st.iterations() * f.n);
}
BENCHMARK(BM_ssm_recurrence)->Arg(64)->Arg(256)->Arg(1024);
BENCHMARK(BM_positional_heads_eigen)->Arg(64)->Arg(256)->Arg(1024);
BENCHMARK(BM_positional_heads_flat_cpu_twin)->Arg(64)->Arg(256)->Arg(1024);
BENCHMARK(BM_softmax_multihead)->Arg(64)->Arg(256)->Arg(1024);
BENCHMARK_MAIN();
