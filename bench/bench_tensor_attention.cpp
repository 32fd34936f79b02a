// Naive (reference, n^t d) tensor attention against the machine's measured matrix-multiply rate,
// and the factored (polynomial-feature) and materialised-low-rank paths at equal n. The Eigen GEMM
// is measured first in the same binary; the naive kernel then reports its achieved GFLOP/s (2 flops
// per counted multiply-add; exps reported separately) and its fraction of the GEMM rate.
// Compare ratios within one run, not absolute times (shared, noisy machines):
//   build/<dir>/bench/bench_tensor_attention --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include "core/tensor_attention.hpp"

#include <benchmark/benchmark.h>

#include <omp.h>

using namespace attnlab::core;

namespace {
double g_gemm_gflops[2] = {0, 0};  // best GEMM rate seen in this process: [0] double, [1] float

TensorInputs inputs(int n, int d, int t) {
  PhiloxStream r(1, 0);
  return tensor_inputs_uniform(n, d, t, 0.8, r);
}
template <class S> constexpr int prec() { return sizeof(S) == sizeof(double) ? 0 : 1; }
}  // namespace

// Eigen GEMM, n x n times n x n (EIGEN_DONT_PARALLELIZE: one core), 2 n^3 flops.
template <class S> static void BM_eigen_gemm(benchmark::State& st) {
  const int n = int(st.range(0));
  PhiloxStream r(2, 0);
  const Mat<S> A = r.normal_matrix(n, n).cast<S>(), B = r.normal_matrix(n, n).cast<S>();
  Mat<S> C(n, n);
  for (auto _ : st) {
    C.noalias() = A * B;
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * n * n * double(n);
  st.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_TEMPLATE(BM_eigen_gemm, double)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_eigen_gemm, float)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// The GEMM rate (512^3, one core) as a plain timed loop, measured before the naive kernel in the
// same run: the naive kernel reports its achieved GFLOP/s as a fraction of it.
template <class S> static void BM_gemm_rate_probe(benchmark::State& st) {
  const int n = 512;
  PhiloxStream r(2, 0);
  const Mat<S> A = r.normal_matrix(n, n).cast<S>(), B = r.normal_matrix(n, n).cast<S>();
  Mat<S> C(n, n);
  double secs = 0;
  long long it = 0;
  for (auto _ : st) {
    const double t0 = omp_get_wtime();
    C.noalias() = A * B;
    benchmark::DoNotOptimize(C.data());
    secs += omp_get_wtime() - t0;
    ++it;
  }
  const double gf = 2.0 * n * n * double(n) * it / secs * 1e-9;
  g_gemm_gflops[prec<S>()] = std::max(g_gemm_gflops[prec<S>()], gf);
  st.counters["GEMM_GFLOP/s"] = gf;
}
BENCHMARK_TEMPLATE(BM_gemm_rate_probe, double)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);
BENCHMARK_TEMPLATE(BM_gemm_rate_probe, float)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

// Naive tensor attention, order 3: args (n, d, threads). GFLOP/s = 2 x counted multiply-adds per
// second (exps reported separately as Gexp/s); frac_of_GEMM_per_thread = GFLOP/s / threads / GEMM
// rate of the same precision measured above.
template <class S> static void BM_naive_tensor_attention(benchmark::State& st) {
  const int n = int(st.range(0)), d = int(st.range(1)), threads = int(st.range(2));
  const TensorInputs in = inputs(n, d, 3);
  const Mat<S> Q = in.Q.cast<S>();
  const std::vector<Mat<S>> K{in.K[0].cast<S>(), in.K[1].cast<S>()}, V{in.V[0].cast<S>(), in.V[1].cast<S>()};
  OpCount ops;
  tensor_attention_naive<S>(Q, K, V, &ops, threads);
  double secs = 0;
  long long it = 0;
  for (auto _ : st) {
    const double t0 = omp_get_wtime();
    benchmark::DoNotOptimize(tensor_attention_naive<S>(Q, K, V, nullptr, threads).data());
    secs += omp_get_wtime() - t0;
    ++it;
  }
  const double gflops = 2.0 * double(ops.madd) * it / secs * 1e-9;
  st.counters["GFLOP/s"] = gflops;
  st.counters["Gexp/s"] = double(ops.exps) * it / secs * 1e-9;
  st.counters["GEMM_GFLOP/s"] = g_gemm_gflops[prec<S>()];
  st.counters["frac_of_GEMM_per_thread"] = g_gemm_gflops[prec<S>()] > 0 ? gflops / threads / g_gemm_gflops[prec<S>()] : 0.0;
  st.counters["ops"] = double(ops.total());
}
BENCHMARK_TEMPLATE(BM_naive_tensor_attention, double)
    ->Args({64, 4, 1})->Args({128, 4, 1})->Args({128, 4, 2})->Args({128, 16, 1})->Args({128, 16, 2})
    ->Args({256, 4, 2})->Args({256, 16, 1})->Args({256, 16, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_naive_tensor_attention, float)
    ->Args({128, 16, 1})->Args({256, 16, 1})->Args({256, 16, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Factored path, order 3, degree g: args (n, d, g).
static void BM_factored_tensor_attention(benchmark::State& st) {
  const int n = int(st.range(0)), d = int(st.range(1)), g = int(st.range(2));
  const TensorInputs in = inputs(n, d, 3);
  const MultiIndexSet mi = multi_indices(d, g);
  OpCount ops;
  tensor_attention_factored<double>(in.Q, in.K, in.V, mi, &ops);
  for (auto _ : st) benchmark::DoNotOptimize(tensor_attention_factored<double>(in.Q, in.K, in.V, mi).out.data());
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(ops.madd) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["ops"] = double(ops.total());
  st.counters["r"] = double(mi.size());
}
BENCHMARK(BM_factored_tensor_attention)->Args({64, 4, 8})->Args({128, 4, 8})->Args({256, 4, 8})->Args({4096, 4, 8})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Materialised low rank (A~ built), order 3: args (n, d, g, threads).
static void BM_lowrank_materialized(benchmark::State& st) {
  const int n = int(st.range(0)), d = int(st.range(1)), g = int(st.range(2)), threads = int(st.range(3));
  const TensorInputs in = inputs(n, d, 3);
  const MultiIndexSet mi = multi_indices(d, g);
  OpCount ops;
  tensor_attention_lowrank_materialized<double>(in.Q, in.K, in.V, mi, &ops, threads);
  for (auto _ : st)
    benchmark::DoNotOptimize(tensor_attention_lowrank_materialized<double>(in.Q, in.K, in.V, mi, nullptr, threads).data());
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(ops.madd) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["ops"] = double(ops.total());
}
BENCHMARK(BM_lowrank_materialized)->Args({32, 4, 8, 2})->Args({64, 4, 8, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
