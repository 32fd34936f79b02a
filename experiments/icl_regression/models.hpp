// Training recipes, the in-process cache of trained models (keyed by recipe + seed, thread
// safe), test-risk evaluation on a shared test stream, and the pattern metrics of the spec
// ("Pattern metrics"). Spec: shared/claims/icl_regression.md.
#pragma once
#include "core/training.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace attnlab::exp::icl_regression {

using core::MatrixXd;
using core::VectorXd;

// A training recipe (quick recipe defaults of the spec).
struct Recipe {
  core::ScoreKind kind = core::ScoreKind::softmax;
  int H = 4, d = 5, n = 40;
  double s2 = 0.1;
  double rho = 0;       // Sigma_ij = rho^|i-j| (0: isotropic)
  bool paper = false;
  int B = 128;
  long T = 3000;
  double lr = 0.05;     // SGD lr (x 0.1 from step 0.8 T on)
  long snapshot_every = 30;  // KQ/OV snapshots for the dynamics figures (k = 1 only)
  // Paper recipe (authors' code; full mode): factored, PyTorch-default init, Adam (lr, betas
  // 0.9/0.999, eps 1e-8), constant lr, B = 256. Otherwise the quick recipe (merged, U(-0.01,
  // 0.01), SGD, lr x 0.1 from 0.8 T).
  // Multi-task (claim 8): k tasks with the given 0-based supports (empty: one task on all d).
  std::vector<std::vector<int>> supports;
  std::string key() const;  // unique text key
  core::RegressionTask task(int n_override = -1) const;
};

// Quick recipe for softmax (lr 0.05) and linear attention (lr 0.002).
Recipe quick_recipe(int H, double s2 = 0.1, double rho = 0, core::ScoreKind kind = core::ScoreKind::softmax);
// Paper recipe: factored, Adam lr 1e-3, B = 256, T steps (500 000 in the paper).
Recipe paper_recipe(int H, long T, double s2 = 0.1, double rho = 0);
// Claim 8's two overlapping tasks: d = 6, n = 48, S_1 = {1..4}, S_2 = {3..6} (1-based), quick recipe.
Recipe multitask_recipe(int H);

struct Snapshot {
  long step;
  MatrixXd KQ, OV;  // stacked: KQ (H D) x D, OV H x D (row h = OV_h)
};

struct Trained {
  Recipe recipe;
  int seed = 0;
  core::AttentionModel model;
  std::vector<Snapshot> snaps;
  double final_train_loss = 0;  // mean of the last 100 training losses
  double seconds = 0;
};

// Where long runs keep their checkpoints (Context::work_dir(); empty: none). A checkpoint of
// (recipe, seed, run seed, mode) is written atomically (fsutil::write_atomic) every `every`
// steps and at the end, to dir/<hash>.ckpt, headed by what it was computed from; a checkpoint
// whose header differs is ignored. Only paper-recipe runs are checkpointed (quick ones take
// seconds). The model, Adam moments and step are restored, so a resumed run is bit-identical
// to an uninterrupted one (snapshots taken before the checkpoint are not kept).
struct Checkpoints {
  std::filesystem::path dir;
  std::string mode;
  long every = 10000;
};

// Trains (or returns from the cache) recipe r with training seed s under the run seed.
// Batches: stream (hash("icl_regression/train/" + key), s << 32 | t); init: stream s of "init".
std::shared_ptr<const Trained> trained(const Recipe& r, int s, std::uint64_t run_seed, const Checkpoints& ck = {});
// Trains every (recipe, seed) pair not yet cached, OpenMP over pairs (each pair its own slot).
void train_all(const std::vector<std::pair<Recipe, int>>& jobs, std::uint64_t run_seed, int threads,
               const Checkpoints& ck = {});

struct Risk {
  double mean = 0, se = 0;
  bool finite = true;
};
// Test risk of each model on N fresh prompts of `task` (test stream of the run seed keyed by
// the task, disjoint from every training stream); all models see the same prompts.
std::vector<Risk> test_risk(const std::vector<const core::AttentionModel*>& models, const core::RegressionTask& task,
                            long N, std::uint64_t run_seed, int threads);

struct HeadMetrics {
  double omega = 0, mu = 0, c = 0;  // tr(A)/d, label weight, |mu omega|
  bool active = false;
  double r_diag = 0, cv = 0, r_b = 0, r_ov = 0;
};
struct PatternMetrics {
  std::vector<HeadMetrics> heads;
  double min_r_diag = 0, max_cv = 0, max_r_b = 0, hom = 0, min_r_ov = 0, Z = 0, eta_hat = 0;
  bool sign_split = false;
  int n_active = 0;
};
PatternMetrics pattern_metrics(const core::AttentionModel& m, int d);
double cosine(const MatrixXd& A, const MatrixXd& B);

// One-sided 95 % Student-t bounds on the across-seed mean (statistical rule of the spec);
// NaN when a value is not finite or there are fewer than 2 values.
double t_upper(const std::vector<double>& x);
double t_lower(const std::vector<double>& x);
MatrixXd sigma_matrix(int d, double rho);

}  // namespace attnlab::exp::icl_regression
