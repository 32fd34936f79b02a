// Unit tests of core/training: the hand-written backward pass against central differences
// (softmax / linear, merged / factored, 1 and 2 outputs), the mean-term control, an SGD and an
// Adam step against hand-computed values, the lr schedule, the checkpoint round trip and a
// resumed run bit-identical to an uninterrupted one.
#include "core/training.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <unistd.h>

using namespace attnlab::core;

namespace {

PromptBatch small_batch(int k, std::uint64_t seed) {
  RegressionTask t;
  t.d = 4, t.n = 10, t.k = k, t.s2 = 0.1;
  PromptBatch b;
  PhiloxStream rng(seed, 1);
  sample_regression_batch(t, 8, rng, b);
  return b;
}

AttentionModel random_model(ScoreKind kind, bool factored, int k, std::uint64_t seed) {
  AttentionModel m = AttentionModel::zeros(kind, factored, 3, 4 + k, k);
  PhiloxStream rng(seed, 2);
  m.init_uniform(rng, 0.5);
  return m;
}

}  // namespace

TEST_CASE("backward pass equals central differences in all eight variants") {
  for (int k : {1, 2})
    for (bool factored : {false, true})
      for (ScoreKind kind : {ScoreKind::softmax, ScoreKind::linear}) {
        const PromptBatch b = small_batch(k, 3);
        const AttentionModel m = random_model(kind, factored, k, 4);
        std::vector<MatrixXd> g;
        loss_and_grad(m, b, &g);
        const VectorXd fd =
            central_difference_gradient([&](const AttentionModel& w) { return loss_and_grad(w, b, nullptr); }, m);
        const double err = relative_l2_error(flatten(g), fd);
        INFO("k=" << k << " factored=" << factored << " softmax=" << (kind == ScoreKind::softmax) << " err=" << err);
        CHECK(err < 1e-7);
        CHECK(fd.norm() > 1e-3);
        if (kind == ScoreKind::softmax) {
          BackwardOptions bad;
          bad.drop_softmax_mean = true;
          std::vector<MatrixXd> gb;
          loss_and_grad(m, b, &gb, bad);
          CHECK(relative_l2_error(flatten(gb), fd) > 1e-2);
        }
      }
}

TEST_CASE("per-prompt loops on 2 threads: loss, predictions and gradients bit-identical to 1 thread") {
  // B n D H = 256 * 20 * 6 * 3 = 92160 < 1e5 stays serial; 512 prompts (184320) run on the team.
  for (int B : {256, 512})
    for (bool factored : {false, true})
      for (ScoreKind kind : {ScoreKind::softmax, ScoreKind::linear}) {
        RegressionTask t;
        t.d = 5, t.n = 20, t.k = 1, t.s2 = 0.1;
        PromptBatch b;
        PhiloxStream rng(9, 1);
        sample_regression_batch(t, B, rng, b);
        AttentionModel m = AttentionModel::zeros(kind, factored, 3, t.D(), 1);
        PhiloxStream ri(5, 2);
        m.init_uniform(ri, 0.5);
        Workspace w1, w2;
        w2.threads = 2;
        std::vector<MatrixXd> g1, g2;
        const double l1 = loss_and_grad(m, b, &g1, {}, &w1);
        const double l2 = loss_and_grad(m, b, &g2, {}, &w2);
        INFO("B=" << B << " factored=" << factored << " softmax=" << (kind == ScoreKind::softmax));
        CHECK(l1 == l2);
        REQUIRE(g1.size() == g2.size());
        for (size_t q = 0; q < g1.size(); ++q) CHECK((g1[q].array() == g2[q].array()).all());
        CHECK((forward(m, b, &w1).array() == forward(m, b, &w2).array()).all());
        CHECK(w2.dS.size() == (B == 512 ? 2u : 1u));  // the team ran only above the threshold
      }
}

TEST_CASE("forward of one head by hand") {
  // D = 2, n = 2, k = 1: tokens z_1 = (1, 0), z_2 = (0, 1), query (1, 0), KQ = I, OV = (0, 1).
  PromptBatch b;
  b.resize(1, 2, 2, 1);
  b.Z << 1, 0, 0, 1;
  b.Zq << 1, 0;
  b.Y << 0;
  AttentionModel m = AttentionModel::zeros(ScoreKind::softmax, false, 1, 2, 1);
  m.blocks[0] = MatrixXd::Identity(2, 2);
  m.blocks[1] << 0, 1;
  // scores (1, 0): p_2 = 1 / (1 + e); f = p_2.
  CHECK(forward(m, b)(0, 0) == Approx(1.0 / (1.0 + std::exp(1.0))).epsilon(1e-14));
  m.kind = ScoreKind::linear;  // scores (1, 0): f = 0 * 1 + 1 * 0 = 0; move the query: (1, 1) -> f = 1
  b.Zq << 1, 1;
  CHECK(forward(m, b)(0, 0) == Approx(1.0).epsilon(1e-14));
}

TEST_CASE("SGD, Adam and the step schedule against hand-computed values") {
  MatrixXd p(1, 2);
  p << 1.0, -2.0;
  MatrixXd g(1, 2);
  g << 0.5, -4.0;
  Sgd::step({&p}, {g}, 0.1);
  CHECK(p(0, 0) == Approx(0.95).epsilon(1e-15));
  CHECK(p(0, 1) == Approx(-1.6).epsilon(1e-15));

  // Adam, first step: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2 -> p -= lr g / (|g| + eps).
  MatrixXd q(1, 1);
  q << 1.0;
  Adam adam({0.01, 0.9, 0.999, 1e-8});
  adam.step({&q}, {MatrixXd::Constant(1, 1, 2.0)});
  CHECK(q(0, 0) == Approx(1.0 - 0.01 * 2.0 / (2.0 + 1e-8)).epsilon(1e-15));
  // Second step with g = -1: m = 0.9*0.2 + 0.1*(-1) = 0.08, v = 0.999*0.004 + 0.001*1 = 0.004996;
  // mhat = 0.08 / 0.19, vhat = 0.004996 / (1 - 0.999^2).
  adam.step({&q}, {MatrixXd::Constant(1, 1, -1.0)});
  const double mhat = 0.08 / (1 - 0.81), vhat = 0.004996 / (1 - 0.999 * 0.999);
  const double expect = 1.0 - 0.01 * 2.0 / (2.0 + 1e-8) - 0.01 * mhat / (std::sqrt(vhat) + 1e-8);
  CHECK(q(0, 0) == Approx(expect).epsilon(1e-13));

  StepSchedule s{0.05, {2400}, 0.1};
  CHECK(s.lr(0) == 0.05);
  CHECK(s.lr(2399) == 0.05);
  CHECK(s.lr(2400) == Approx(0.005).epsilon(1e-15));
}

TEST_CASE("checkpoint round trip and bit-identical resume") {
  const std::string dir = "/tmp/attnlab_core_training_" + std::to_string(::getpid());
  const std::string path = dir + ".ckpt";
  std::remove(path.c_str());
  RegressionTask task;
  task.d = 3, task.n = 6;
  auto batch = [&](long t, PromptBatch& b) {
    PhiloxStream rng(11, std::uint64_t(t));
    sample_regression_batch(task, 16, rng, b);
  };
  auto fresh = [&] {
    TrainState st;
    st.model = AttentionModel::zeros(ScoreKind::softmax, true, 2, 4, 1);
    PhiloxStream rng(5, 0);
    st.model.init_pytorch_default(rng);
    return st;
  };
  TrainConfig cfg;
  cfg.steps = 40;
  cfg.adam = true;
  cfg.schedule = {1e-2, {30}, 0.1};

  TrainState full = fresh();
  train(full, cfg, batch);

  TrainConfig part = cfg;
  part.checkpoint_path = path;
  part.checkpoint_every = 7;
  part.stop_after = 17;
  TrainState a = fresh();
  CHECK(train(a, part, batch) == 17);
  TrainState b = fresh();  // a new process: resumes from step 17
  part.stop_after = -1;
  CHECK(train(b, part, batch) == 40);
  CHECK(b.losses.size() == 23);
  CHECK(b.model.flat() == full.model.flat());  // bit-identical
  CHECK(b.adam.steps() == 40);

  TrainState c;
  REQUIRE(load_checkpoint(path, c));
  CHECK(c.step == 40);
  CHECK(c.model.flat() == full.model.flat());
  CHECK(c.model.factored);
  CHECK(c.adam.first_moments().size() == full.adam.first_moments().size());
  for (size_t i = 0; i < c.adam.first_moments().size(); ++i) {
    CHECK(c.adam.first_moments()[i] == full.adam.first_moments()[i]);
    CHECK(c.adam.second_moments()[i] == full.adam.second_moments()[i]);
  }
  TrainState none;
  CHECK_FALSE(load_checkpoint(path + ".absent", none));
  {
    std::FILE* f = std::fopen((path + ".bad").c_str(), "wb");
    std::fputs("garbage", f);
    std::fclose(f);
  }
  CHECK_THROWS(load_checkpoint(path + ".bad", none));
  std::remove((path + ".bad").c_str());
  std::remove(path.c_str());
}

TEST_CASE("regression sampler: shapes, zero query label, supports and covariance") {
  RegressionTask t;
  t.d = 3, t.n = 50, t.k = 2, t.s2 = 0.0;
  t.supports = {{0}, {1, 2}};
  PromptBatch b;
  PhiloxStream rng(1, 1);
  sample_regression_batch(t, 4, rng, b);
  CHECK(b.Z.rows() == 5);
  CHECK(b.Z.cols() == 200);
  CHECK(b.Zq.bottomRows(2).isZero(0));
  // Noiseless task 1 depends on x_0 only: y_1 / x_0 is constant within a prompt.
  for (int j = 0; j < 4; ++j) {
    const double r0 = b.Z(3, j * 50) / b.Z(0, j * 50);
    for (int i = 1; i < 50; ++i) CHECK(b.Z(3, j * 50 + i) == Approx(r0 * b.Z(0, j * 50 + i)).epsilon(1e-10));
    CHECK(b.Y(0, j) == Approx(r0 * b.Zq(0, j)).epsilon(1e-10));
  }
  MatrixXd S(2, 2);
  S << 2, 1, 1, 2;
  const MatrixXd R = symmetric_sqrt(S);
  CHECK((R * R - S).norm() < 1e-12);
  CHECK((R - R.transpose()).norm() < 1e-14);
}

TEST_CASE("checkpoint bytes with metadata: N steps straight equal N/2, checkpoint, reload, N/2 more") {
  // Paper-recipe shape at a small size: factored softmax, PyTorch-default init, Adam 1e-3.
  RegressionTask task;
  task.d = 3, task.n = 8;
  auto batch = [&](long t, PromptBatch& b) {
    PhiloxStream rng(21, std::uint64_t(t));
    sample_regression_batch(task, 32, rng, b);
  };
  auto fresh = [&] {
    TrainState st;
    st.model = AttentionModel::zeros(ScoreKind::softmax, true, 2, 4, 1);
    PhiloxStream rng(9, 0);
    st.model.init_pytorch_default(rng);
    return st;
  };
  TrainConfig cfg;
  cfg.steps = 60;
  cfg.adam = true;
  cfg.schedule = {1e-3, {}, 1.0};
  TrainState straight = fresh();
  train(straight, cfg, batch);

  const std::string meta = "mode=full;seed=1;recipe=paper/H2/d3/n8/B32/T60";
  std::string stored;  // what the caller's atomic writer would hold
  TrainConfig half = cfg;
  half.stop_after = 30;
  half.checkpoint_every = 10;
  int writes = 0;
  half.checkpoint_sink = [&](const TrainState& s) {
    stored = checkpoint_bytes(s, meta);
    ++writes;
  };
  TrainState a = fresh();
  CHECK(train(a, half, batch) == 30);
  CHECK(writes == 4);  // steps 10, 20, 30 and the end

  TrainState b = fresh();  // a new process
  REQUIRE(restore_checkpoint_bytes(stored, meta, b));
  CHECK(b.step == 30);
  half.stop_after = -1;
  CHECK(train(b, half, batch) == 60);
  CHECK(b.model.flat() == straight.model.flat());  // bit-identical
  CHECK(b.adam.steps() == straight.adam.steps());
  for (size_t i = 0; i < b.adam.first_moments().size(); ++i) {
    CHECK(b.adam.first_moments()[i] == straight.adam.first_moments()[i]);
    CHECK(b.adam.second_moments()[i] == straight.adam.second_moments()[i]);
  }

  // A checkpoint computed from something else is ignored, and the state is left alone.
  TrainState c = fresh();
  const VectorXd before = c.model.flat();
  CHECK_FALSE(restore_checkpoint_bytes(stored, "mode=full;seed=2;recipe=paper/H2/d3/n8/B32/T60", c));
  CHECK_FALSE(restore_checkpoint_bytes(stored, "", c));
  CHECK(c.step == 0);
  CHECK(c.model.flat() == before);
  // Corrupt bytes throw; a model of another shape throws.
  CHECK_THROWS(restore_checkpoint_bytes(stored.substr(0, stored.size() - 5), meta, c));
  TrainState other;
  other.model = AttentionModel::zeros(ScoreKind::softmax, true, 3, 4, 1);
  CHECK_THROWS(restore_checkpoint_bytes(stored, meta, other));
}
