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

}  // namespace

BENCHMARK_MAIN();
