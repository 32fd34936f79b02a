// Training workload: a query-readout multi-head attention layer (softmax or linear scores,
// merged or factored parameters, k outputs) over a batch of prompts, with a hand-written
// backward pass, the squared loss, SGD with a step schedule, Adam (core/optim.hpp), an online
// training loop with a fresh batch per step, atomic checkpoints, a central-difference gradient
// check, and a sampler of in-context linear-regression prompts on Philox streams.
//
// Layer (per prompt b, head h; tokens z_i in R^D are the columns of Z_b, query token z_q):
//   s_{h,i} = z_i^T KQ_h z_q,   p_h = softmax_i(s_h) (row max subtracted) | p_h = s_h (linear),
//   v_h = sum_i p_{h,i} z_i,    f = sum_h OV_h v_h in R^k.
// Merged: KQ_h (D x D), OV_h (k x D) are trained. Factored: W_Q, W_K, W_V (D x D), W_O (k x D)
// per head with KQ_h = W_K^T W_Q / sqrt(D), OV_h = W_O W_V.
// Loss L = (1/B) sum_b ||f_b - y_b||^2.
#pragma once
#include "core/linalg.hpp"
#include "core/optim.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace attnlab::core {

enum class ScoreKind { softmax, linear };

// A batch of B prompts of n context tokens of width D and k targets each.
struct PromptBatch {
  int B = 0, n = 0, D = 0, k = 0;
  MatrixXd Z;   // D x (B n): prompt b's context tokens are columns [b n, (b + 1) n)
  MatrixXd Zq;  // D x B: query tokens
  MatrixXd Y;   // k x B: targets
  void resize(int B_, int n_, int D_, int k_);
};

struct AttentionModel {
  ScoreKind kind = ScoreKind::softmax;
  bool factored = false;
  int H = 0, D = 0, k = 1;
  // Merged: blocks [KQ_0..KQ_{H-1}, OV_0..OV_{H-1}].
  // Factored: blocks [WQ_0..WQ_{H-1}, WK_0.., WV_0.., WO_0..].
  std::vector<MatrixXd> blocks;

  // Zero-initialised model of the given shape.
  static AttentionModel zeros(ScoreKind kind, bool factored, int H, int D, int k);
  // Every entry iid U(-a, a) (merged quick init: a = 0.01).
  void init_uniform(PhiloxStream& rng, double a);
  // PyTorch Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in D for W_Q, W_K, W_V and
  // H D for W_O (factored models only).
  void init_pytorch_default(PhiloxStream& rng);

  // Effective merged matrices (equal to the blocks for a merged model).
  MatrixXd KQ(int h) const;
  MatrixXd OV(int h) const;
  long num_params() const;
  VectorXd flat() const;                // blocks concatenated, column-major each
  void set_flat(const VectorXd& x);     // inverse of flat()
  std::vector<MatrixXd*> block_ptrs();
};

struct BackwardOptions {
  // Negative control of a gradient check: the softmax Jacobian without its mean term,
  // ds_i = p_i dp_i instead of p_i (dp_i - sum_j p_j dp_j).
  bool drop_softmax_mean = false;
};

// Reusable buffers: with one Workspace per loop, a training step allocates nothing after the
// first (shapes as in core/src/training.cpp).
struct Workspace {
  MatrixXd KQall, OVall, ZT, U, P, V, F, G, dOV, dV, dU, dKQ;
  std::vector<MatrixXd> dS;  // per-thread scratch of the backward's per-prompt loop
  // Threads for the per-prompt loops of forward and loss_and_grad (OpenMP; batches with
  // B n D H < 1e5 run on the calling thread). Every prompt is computed by one thread into its own
  // columns and the sums over prompts are the products after the loops, so results are
  // bit-identical for any thread count. Inside an enclosing parallel region (e.g. models trained
  // in parallel) the loops run on the calling thread (OpenMP's nested parallelism is off).
  int threads = 1;
};

// Predictions F (k x B) of the model on a batch.
MatrixXd forward(const AttentionModel& m, const PromptBatch& b, Workspace* ws = nullptr);
// Loss on a batch; with grads != nullptr also the hand-written gradient, one matrix per block.
double loss_and_grad(const AttentionModel& m, const PromptBatch& b, std::vector<MatrixXd>* grads,
                     const BackwardOptions& opt = {}, Workspace* ws = nullptr);

// Learning-rate schedule: lr(t) = base * factor^(number of milestones <= t), t = 0-based step.
struct StepSchedule {
  double base = 1e-3;
  std::vector<long> milestones;  // steps from which the lr is multiplied by `factor` again
  double factor = 0.1;
  double lr(long t) const;
};

// Plain SGD (no momentum): p -= lr * g.
struct Sgd {
  static void step(const std::vector<MatrixXd*>& params, const std::vector<MatrixXd>& grads, double lr);
};

// Gradient check: central differences of `loss` in every coordinate of the model's flat
// parameter vector (each coordinate perturbed by +-h and restored exactly).
VectorXd central_difference_gradient(const std::function<double(const AttentionModel&)>& loss,
                                     const AttentionModel& m, double h = 1e-6);
// ||a - b||_2 / ||b||_2 (inf when b = 0 and a != 0, 0 when both are 0).
double relative_l2_error(const VectorXd& a, const VectorXd& b);
VectorXd flatten(const std::vector<MatrixXd>& blocks);

// In-context linear regression prompts: x ~ N(0, Sigma) (x = L g with L a symmetric square
// root of Sigma; L empty means identity), k tasks, task j has support S_j (empty: all d
// coordinates) and beta_j ~ N(0, I_{S_j} / |S_j|), fresh per prompt; y_j = beta_j^T x + eps,
// eps ~ N(0, s2) for context and query. Tokens (x, y_1..y_k); query token (x_q, 0).
struct RegressionTask {
  int d = 5, n = 40, k = 1;
  double s2 = 0.1;
  MatrixXd sqrt_sigma;                   // d x d or empty
  std::vector<std::vector<int>> supports;  // k lists of 0-based coordinates, or empty
  int D() const { return d + k; }
};
// Fills `out` with B prompts drawn from `rng` with one PhiloxStream::fill_normal call (order per
// prompt: beta, x_1..x_n, x_q, noise of the n + 1 labels).
void sample_regression_batch(const RegressionTask& task, int B, PhiloxStream& rng, PromptBatch& out);
// Symmetric square root of a symmetric positive semi-definite matrix.
MatrixXd symmetric_sqrt(const MatrixXd& S);

// Online training with a fresh batch per step.
struct TrainConfig {
  long steps = 1000;
  bool adam = false;
  AdamOptions adam_opt{};
  StepSchedule schedule{};        // lr(t) of SGD and of Adam (adam_opt.lr is overridden by it)
  std::string checkpoint_path;    // empty: no checkpoints
  long checkpoint_every = 0;      // steps between checkpoints (0: only at the end)
  long stop_after = -1;           // stop (after checkpointing) once this many steps are done; -1: run all
  long snapshot_every = 0;        // 0: no snapshots
  // When set, called instead of writing checkpoint_path (every checkpoint_every steps and at the
  // end): the caller writes checkpoint_bytes(state, its metadata) with its own atomic writer.
  std::function<void(const struct TrainState&)> checkpoint_sink;
};
// batch(t, out): the batch of step t (0-based); it must depend on t only, so that a resumed
// run draws the same batches. snapshot(t, model): called after steps t with t % snapshot_every
// == 0 and at t = 1 (t = number of completed steps). Returns the number of completed steps.
// When checkpoint_path names an existing checkpoint the run resumes from it.
struct TrainState {
  AttentionModel model;
  Adam adam;
  long step = 0;
  std::vector<double> losses;  // training loss per completed step (of this process)
};
long train(TrainState& st, const TrainConfig& cfg, const std::function<void(long, PromptBatch&)>& batch,
           const std::function<void(long, const AttentionModel&)>& snapshot = {});

// Checkpoint: model, optimizer state and step, in a binary file written atomically
// (temporary file, fsync, rename). load returns false when the file does not exist; throws
// std::runtime_error on a corrupt or mismatched file.
void save_checkpoint(const std::string& path, const TrainState& st);
bool load_checkpoint(const std::string& path, TrainState& st);
// The same checkpoint as bytes, headed by `meta` (what the state was computed from: mode, seed,
// recipe parameters; the step is in the state). restore_checkpoint_bytes returns false and
// leaves `st` unchanged when the stored metadata differs from `meta` (a stale checkpoint is
// ignored); throws std::runtime_error on a corrupt or mismatched-shape checkpoint.
std::string checkpoint_bytes(const TrainState& st, const std::string& meta = "");
bool restore_checkpoint_bytes(const std::string& bytes, const std::string& meta, TrainState& st);

}  // namespace attnlab::core
