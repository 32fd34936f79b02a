// One training step of the query-readout multi-head attention layer (core/training) at the
// in-context-regression paper's sizes: d = 5 (D = 6), n = 40, batch 256, H = 1, 2, 4, 8, factored
// parameters, Adam. Reported separately: drawing the batch, forward + hand-written backward, and
// the full step (draw + forward + backward + Adam). Compare ratios within one run.
#include "core/training.hpp"

#include <benchmark/benchmark.h>

using namespace attnlab::core;

namespace {

RegressionTask paper_task() {
  RegressionTask t;
  t.d = 5, t.n = 40, t.k = 1, t.s2 = 0.1;
  return t;
}

AttentionModel paper_model(int H) {
  AttentionModel m = AttentionModel::zeros(ScoreKind::softmax, true, H, 6, 1);
  PhiloxStream rng(1, 0);
  m.init_pytorch_default(rng);
  return m;
}

void BM_sample_batch(benchmark::State& st) {
  const RegressionTask t = paper_task();
  PromptBatch b;
  long step = 0;
  for (auto _ : st) {
    PhiloxStream rng(1, std::uint64_t(step++));
    sample_regression_batch(t, 256, rng, b);
    benchmark::DoNotOptimize(b.Z.data());
  }
  st.SetItemsProcessed(st.iterations() * 256);
}
BENCHMARK(BM_sample_batch)->Unit(benchmark::kMicrosecond);

void BM_forward_backward(benchmark::State& st) {
  const int H = int(st.range(0));
  const RegressionTask t = paper_task();
  PromptBatch b;
  PhiloxStream rng(1, 1);
  sample_regression_batch(t, 256, rng, b);
  const AttentionModel m = paper_model(H);
  std::vector<MatrixXd> g;
  for (auto _ : st) benchmark::DoNotOptimize(loss_and_grad(m, b, &g));
  st.SetItemsProcessed(st.iterations() * 256);
}
BENCHMARK(BM_forward_backward)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMicrosecond);

void BM_train_step(benchmark::State& st) {
  const int H = int(st.range(0));
  const RegressionTask t = paper_task();
  TrainState s;
  s.model = paper_model(H);
  TrainConfig cfg;
  cfg.adam = true;
  cfg.schedule = {1e-3, {}, 1.0};
  auto batch = [&](long step, PromptBatch& b) {
    PhiloxStream rng(1, std::uint64_t(step));
    sample_regression_batch(t, 256, rng, b);
  };
  for (auto _ : st) {
    cfg.steps = s.step + 1;  // one step per iteration
    train(s, cfg, batch);
  }
  st.counters["steps_per_s"] = benchmark::Counter(double(st.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_train_step)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMicrosecond);

// One Adam step without drawing the batch (loss_and_grad with a Workspace + Adam), factored
// softmax, at the points of the speed comparison with PyTorch (one thread):
// B=64 n=16 d=8 H=1, B=256 n=50 d=10 H=4, B=1024 n=128 d=64 H=8, and the paper's B=256 n=40 d=5 H=4.
void BM_adam_step(benchmark::State& st) {
  const int B = int(st.range(0)), n = int(st.range(1)), d = int(st.range(2)), H = int(st.range(3));
  RegressionTask t;
  t.d = d, t.n = n, t.k = 1, t.s2 = 0.1;
  PromptBatch b;
  PhiloxStream rng(1, 1);
  sample_regression_batch(t, B, rng, b);
  AttentionModel m = AttentionModel::zeros(ScoreKind::softmax, true, H, t.D(), 1);
  PhiloxStream ri(1, 0);
  m.init_pytorch_default(ri);
  AdamOptions ao;
  ao.lr = 1e-3;
  Adam adam(ao);
  std::vector<MatrixXd> g;
  Workspace ws;
  const auto params = m.block_ptrs();
  for (auto _ : st) {
    benchmark::DoNotOptimize(loss_and_grad(m, b, &g, {}, &ws));
    adam.step(params, g);
  }
}
BENCHMARK(BM_adam_step)
    ->Args({64, 16, 8, 1})
    ->Args({256, 50, 10, 4})
    ->Args({1024, 128, 64, 8})
    ->Args({256, 40, 5, 4})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
