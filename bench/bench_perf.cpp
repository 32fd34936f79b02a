// The performance grid of attnlab's kernels, side by side with bench/baselines/torch_baselines.py
// (scripts/perf.sh runs both interleaved). Every benchmark is named
//   <workload>/<dtype>/<point>/t<threads>
// and reports counters flop (floating-point operations per iteration, 2 per multiply-add of the
// matrix products; the formula is the same as in the PyTorch baseline) and GFLOP/s (on wall time).
// Wall and process CPU time are both measured (UseRealTime + MeasureProcessCPUTime), so
// cpu_time / real_time is the run's CPU/wall ratio. Inputs are generated before timing.
//
// Workloads:
//   mha_fwd, mha_fwd_bwd   core/mha_batch.hpp (B, n, d, H), f64 and f32
//   mha_fwd_ref            core/attention.hpp's reference layer, sequence by sequence (the "before")
//   mha_proj               the projection products of mha_fwd alone, chunked as the kernel does them
//   gemm_proj              Eigen's GEMM at the projection shape as one product: (B n x d)(d x 4d)
//   mha_heads              the per-head products of mha_fwd alone (Q K^T with row maxima, P V scaled)
//   gemm_heads             the same products with Eigen's GEMM on the same operands
//   icl_step               one Adam step (loss_and_grad + Adam) of core/training's factored softmax
//                          model on a fixed batch of in-context-regression prompts (f64 only)
//   tensor_fwd             core/tensor_attention.hpp's naive order-3 kernel (n, d = 16)
//   subset_sum             36 exact best-subset-sum problems of pool size 24 (core/subset_sum.hpp)
//   fma_peak               a register-only FMA loop (AVX2 FMA when the CPU has it), per thread count
// Points: tiny B=64 n=16 d=8 H=1; anchor B=256 n=64 d=32 H=4 (icl_step: B=256 n=50 d=10 H=4);
// large B=1024 n=128 d=64 H=8; tensor n=128, 256.
//   build/perf/bench/bench_perf --benchmark_filter='mha_fwd/f64/anchor/t1$'
#include "core/attention.hpp"
#include "core/mha_batch.hpp"
#include "core/optim.hpp"
#include "core/subset_sum.hpp"
#include "core/tensor_attention.hpp"
#include "core/training.hpp"

#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <string>
#include <vector>

using namespace attnlab::core;

namespace {

struct MhaPoint {
  const char* name;
  int B, n, d, H;
};
const MhaPoint kMhaPoints[] = {{"tiny", 64, 16, 8, 1}, {"anchor", 256, 64, 32, 4}, {"large", 1024, 128, 64, 8}};
const MhaPoint kIclPoints[] = {{"tiny", 64, 16, 8, 1}, {"anchor", 256, 50, 10, 4}, {"large", 1024, 128, 64, 8}};

template <class S> const char* dtype() { return sizeof(S) == 8 ? "f64" : "f32"; }

double mha_fwd_flops(const MhaPoint& p) {
  return 8.0 * p.B * p.n * double(p.d) * p.d + 4.0 * p.B * double(p.n) * p.n * p.d;
}
double mha_fwd_bwd_flops(const MhaPoint& p) { return 3.0 * mha_fwd_flops(p); }

void set_flops(benchmark::State& st, double flop) {
  st.counters["flop"] = flop;
  st.counters["GFLOP/s"] = benchmark::Counter(flop * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <class S> MhaWeights<S> mha_weights(const MhaPoint& p) {
  PhiloxStream r(3, 0);
  const double s = 1.0 / std::sqrt(double(p.d));
  MhaWeights<S> w;
  w.H = p.H;
  w.WQ = r.normal_matrix(p.d, p.d, s).cast<S>();
  w.WK = r.normal_matrix(p.d, p.d, s).cast<S>();
  w.WV = r.normal_matrix(p.d, p.d, s).cast<S>();
  w.WO = r.normal_matrix(p.d, p.d, s).cast<S>();
  return w;
}
template <class S> RowMat<S> mha_input(const MhaPoint& p, std::uint64_t stream) {
  PhiloxStream r(4, stream);
  return r.normal_matrix(Eigen::Index(p.B) * p.n, p.d).cast<S>();
}

template <class S> void mha_fwd(benchmark::State& st, MhaPoint p, int threads) {
  const auto w = mha_weights<S>(p);
  const RowMat<S> X = mha_input<S>(p, 0);
  RowMat<S> Y;
  mha_forward(w, p.B, p.n, X, Y, threads);  // warm the heap
  for (auto _ : st) {
    mha_forward(w, p.B, p.n, X, Y, threads);
    benchmark::DoNotOptimize(Y.data());
  }
  set_flops(st, mha_fwd_flops(p));
}

template <class S> void mha_fwd_bwd(benchmark::State& st, MhaPoint p, int threads) {
  const auto w = mha_weights<S>(p);
  const RowMat<S> X = mha_input<S>(p, 0), G = mha_input<S>(p, 1);
  RowMat<S> Y, dX;
  MhaGrads<S> g;
  mha_forward_backward(w, p.B, p.n, X, G, Y, dX, g, threads);
  for (auto _ : st) {
    mha_forward_backward(w, p.B, p.n, X, G, Y, dX, g, threads);
    benchmark::DoNotOptimize(dX.data());
  }
  set_flops(st, mha_fwd_bwd_flops(p));
}

// The reference layer of core/attention.hpp (one sequence at a time, per-head products).
template <class S> void mha_fwd_ref(benchmark::State& st, MhaPoint p, int threads) {
  const auto w = mha_weights<S>(p);
  const int dh = p.d / p.H;
  MultiHeadSoftmax<S> m;
  for (int h = 0; h < p.H; ++h)
    m.heads.push_back({w.WQ.middleCols(h * dh, dh).transpose(), w.WK.middleCols(h * dh, dh).transpose(),
                       w.WV.middleCols(h * dh, dh).transpose(), w.WO.middleRows(h * dh, dh).transpose()});
  const RowMat<S> X = mha_input<S>(p, 0);
  std::vector<Mat<S>> xs;
  for (int b = 0; b < p.B; ++b) xs.push_back(X.middleRows(Eigen::Index(b) * p.n, p.n));
  SoftmaxOptions opt;
  opt.causal = false;
  for (auto _ : st)
    for (int b = 0; b < p.B; ++b) benchmark::DoNotOptimize(m.forward(xs[size_t(b)], opt).data());
  set_flops(st, mha_fwd_flops(p));
}

// The projection products of mha_forward, chunk by chunk as the kernel issues them.
template <class S> void mha_proj(benchmark::State& st, MhaPoint p, int threads) {
  const auto w = mha_weights<S>(p);
  Mat<S> Wqkv(p.d, 3 * p.d);
  Wqkv << w.WQ, w.WK, w.WV;
  const RowMat<S> X = mha_input<S>(p, 0);
  RowMat<S> Y(X.rows(), p.d), QKV, O = X;
  const int cs = mha_chunk_sequences(p.B, p.n), chunks = (p.B + cs - 1) / cs;
  for (auto _ : st) {
    for (int c = 0; c < chunks; ++c) {
      const Eigen::Index r0 = Eigen::Index(c) * cs * p.n, rows = Eigen::Index(std::min(p.B, (c + 1) * cs) - c * cs) * p.n;
      QKV.noalias() = X.middleRows(r0, rows) * Wqkv;
      Y.middleRows(r0, rows).noalias() = O.middleRows(r0, rows) * w.WO;
    }
    benchmark::DoNotOptimize(Y.data());
    benchmark::DoNotOptimize(QKV.data());
  }
  set_flops(st, 8.0 * p.B * p.n * double(p.d) * p.d);
}

// The per-head products of mha_fwd alone (Q K^T with the row maxima, and P V with the 1/row-sum
// scaling), as the kernel issues them (AVX2 tiles when n and dh are multiples of the vector width),
// on the packed Q K V rows of one chunk of sequences (in cache, as in the kernel, where the chunk's
// projection has just written them), repeated for every chunk of the batch; no exponentials.
// gemm_heads: the same products with Eigen's GEMM on the same operands (the kernel's path for other
// shapes, and its path for all shapes before the tiles).
template <class S, bool Tiles> void heads(benchmark::State& st, MhaPoint p) {
  const int d = p.d, dh = p.d / p.H, cs = mha_chunk_sequences(p.B, p.n), chunks = (p.B + cs - 1) / cs;
  const RowMat<S> QKV = mha_input<S>(MhaPoint{p.name, cs, p.n, 3 * p.d, p.H}, 2) * S(0.3);
  RowMat<S> O(QKV.rows(), d), P(p.n, p.n), KT;
  Eigen::Matrix<S, Eigen::Dynamic, 1> rv(p.n);
  for (auto _ : st) {
    for (int c = 0; c < chunks; ++c)
      for (int b = 0; b < std::min(cs, p.B - c * cs); ++b)
        for (int h = 0; h < p.H; ++h) {
          const S* base = QKV.data() + Eigen::Index(b) * p.n * 3 * d;
          detail::CMapRM<S> Qh(base + h * dh, p.n, dh, Eigen::OuterStride<>(3 * d)),
              Kh(base + d + h * dh, p.n, dh, Eigen::OuterStride<>(3 * d)),
              Vh(base + 2 * d + h * dh, p.n, dh, Eigen::OuterStride<>(3 * d));
          detail::MapRM<S> Oh(O.data() + Eigen::Index(b) * p.n * d + h * dh, p.n, dh, Eigen::OuterStride<>(d));
          if constexpr (Tiles) {
            detail::scores_rowmax(Qh, Kh, KT, P, rv);
            detail::pv_scaled(P, Vh, rv, Oh);
          } else {
            P.noalias() = Qh * Kh.transpose();
            rv = P.rowwise().maxCoeff();
            Oh.noalias() = P * Vh;
            Oh = rv.asDiagonal() * Oh;
          }
        }
    benchmark::DoNotOptimize(O.data());
  }
  set_flops(st, 4.0 * p.B * double(p.n) * p.n * d);
}
template <class S> void mha_heads(benchmark::State& st, MhaPoint p, int) { heads<S, true>(st, p); }
template <class S> void gemm_heads(benchmark::State& st, MhaPoint p, int) { heads<S, false>(st, p); }

// Eigen's GEMM at the projection shape, as one product (B n x d)(d x 4d).
template <class S> void gemm_proj(benchmark::State& st, MhaPoint p, int threads) {
  const RowMat<S> X = mha_input<S>(p, 0);
  PhiloxStream r(5, 0);
  const Mat<S> W = r.normal_matrix(p.d, 4 * p.d).cast<S>();
  RowMat<S> Y(X.rows(), 4 * p.d);
  for (auto _ : st) {
    Y.noalias() = X * W;
    benchmark::DoNotOptimize(Y.data());
  }
  set_flops(st, 8.0 * p.B * p.n * double(p.d) * p.d);
}

// icl_step: flops per step (see bench/baselines/torch_baselines.py, icl_flops).
double icl_flops(const MhaPoint& p) {
  const double D = p.d + 1, n = p.n;
  return double(p.B) * p.H * (8 * n * D + 4 * D * D + 4 * D) + double(p.H) * (4 * D * D * D + 4 * D * D);
}

void icl_step(benchmark::State& st, MhaPoint p, int threads) {
  RegressionTask t;
  t.d = p.d, t.n = p.n, t.k = 1, t.s2 = 0.1;
  PromptBatch b;
  PhiloxStream rng(1, 1);
  sample_regression_batch(t, p.B, rng, b);
  AttentionModel m = AttentionModel::zeros(ScoreKind::softmax, true, p.H, t.D(), 1);
  PhiloxStream ri(1, 0);
  m.init_pytorch_default(ri);
  AdamOptions ao;
  ao.lr = 1e-3;
  Adam adam(ao);
  std::vector<MatrixXd> g;
  Workspace ws;
  ws.threads = threads;  // the per-prompt loops (core/training: batches from 1e5 B n D H)
  const auto params = m.block_ptrs();
  loss_and_grad(m, b, &g, {}, &ws);
  for (auto _ : st) {
    benchmark::DoNotOptimize(loss_and_grad(m, b, &g, {}, &ws));
    adam.step(params, g);
  }
  set_flops(st, icl_flops(p));
}

template <class S> void tensor_fwd(benchmark::State& st, int n, int threads) {
  PhiloxStream r(1, 0);
  const TensorInputs in = tensor_inputs_uniform(n, 16, 3, 0.8, r);
  const Mat<S> Q = in.Q.cast<S>();
  std::vector<Mat<S>> K, V;
  for (const auto& k : in.K) K.push_back(k.cast<S>());
  for (const auto& v : in.V) V.push_back(v.cast<S>());
  for (auto _ : st) benchmark::DoNotOptimize(tensor_attention_naive<S>(Q, K, V, nullptr, threads).data());
  set_flops(st, 4.0 * double(n) * n * n * 16);
}

void subset_sum(benchmark::State& st, int threads) {
  std::vector<std::vector<double>> pools;
  std::vector<double> targets;
  for (int k = 0; k < 36; ++k) {
    PhiloxStream r(100 + std::uint64_t(k), 0);
    std::vector<double> v(24);
    for (auto& x : v) x = r.uniform(-1, 1);
    pools.push_back(v);
    targets.push_back(0.01 * k - 0.2);
  }
  for (auto _ : st) benchmark::DoNotOptimize(best_subset_sum_batch(pools, targets, threads).data());
  st.counters["flop"] = 0;
}

// Register-only FMA loop: 12 independent accumulators (enough to cover FMA latency x ports).
__attribute__((target("avx2,fma"))) double fma_loop_f64(long iters) {
  __m256d a[12];
  for (int k = 0; k < 12; ++k) a[k] = _mm256_set1_pd(1e-3 * k);
  const __m256d x = _mm256_set1_pd(0.999999), y = _mm256_set1_pd(1e-7);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) a[k] = _mm256_fmadd_pd(a[k], x, y);
  __m256d s = a[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_pd(s, a[k]);
  double out[4];
  _mm256_storeu_pd(out, s);
  return out[0] + out[1] + out[2] + out[3];
}
__attribute__((target("avx2,fma"))) double fma_loop_f32(long iters) {
  __m256 a[12];
  for (int k = 0; k < 12; ++k) a[k] = _mm256_set1_ps(1e-3f * k);
  const __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(1e-5f);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) a[k] = _mm256_fmadd_ps(a[k], x, y);
  __m256 s = a[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_ps(s, a[k]);
  float out[8];
  _mm256_storeu_ps(out, s);
  double t = 0;
  for (float v : out) t += v;
  return t;
}

template <class S> void fma_peak(benchmark::State& st, int threads) {
  if (!__builtin_cpu_supports("fma") || !__builtin_cpu_supports("avx2")) {
    st.SkipWithError("no AVX2/FMA");
    return;
  }
  const long iters = 1 << 20;
  for (auto _ : st) {
    double sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += sizeof(S) == 8 ? fma_loop_f64(iters) : fma_loop_f32(iters);
    benchmark::DoNotOptimize(sink);
  }
  set_flops(st, 2.0 * 12 * (32 / sizeof(S)) * double(iters) * threads);
}

template <class F> void reg(const std::string& name, F f) {
  benchmark::RegisterBenchmark(name.c_str(), f)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
}

template <class S> void register_dtype() {
  const std::string dt = dtype<S>();
  for (int t : {1, 2}) {
    const std::string ts = "/t" + std::to_string(t);
    for (const auto& p : kMhaPoints) {
      const std::string pt = "/" + dt + "/" + p.name + ts;
      reg("mha_fwd" + pt, [p, t](benchmark::State& st) { mha_fwd<S>(st, p, t); });
      reg("mha_fwd_bwd" + pt, [p, t](benchmark::State& st) { mha_fwd_bwd<S>(st, p, t); });
      if (t == 1) {
        reg("mha_fwd_ref" + pt, [p, t](benchmark::State& st) { mha_fwd_ref<S>(st, p, t); });
        reg("mha_proj" + pt, [p, t](benchmark::State& st) { mha_proj<S>(st, p, t); });
        reg("gemm_proj" + pt, [p, t](benchmark::State& st) { gemm_proj<S>(st, p, t); });
        reg("mha_heads" + pt, [p, t](benchmark::State& st) { mha_heads<S>(st, p, t); });
        reg("gemm_heads" + pt, [p, t](benchmark::State& st) { gemm_heads<S>(st, p, t); });
      }
    }
    for (int n : {128, 256})
      reg("tensor_fwd/" + dt + "/n" + std::to_string(n) + ts, [n, t](benchmark::State& st) { tensor_fwd<S>(st, n, t); });
    reg("fma_peak/" + dt + "/peak" + ts, [t](benchmark::State& st) { fma_peak<S>(st, t); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_dtype<double>();
  register_dtype<float>();
  for (int t : {1, 2}) {
    for (const auto& p : kIclPoints)
      reg("icl_step/f64/" + std::string(p.name) + "/t" + std::to_string(t),
          [p, t](benchmark::State& st) { icl_step(st, p, t); });
    reg("subset_sum/f64/m24x36/t" + std::to_string(t), [t](benchmark::State& st) { subset_sum(st, t); });
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
