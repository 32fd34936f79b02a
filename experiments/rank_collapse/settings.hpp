// Shared pieces of the rank_collapse claims: random draws shared between claims (claim 2 reads
// claim 1's SAN runs), the multiprecision SAN trial of claims 1-2, the BERT-like stacks of
// claims 3-4. Spec: shared/claims/rank_collapse.md.
#pragma once
#include "core/layers.hpp"
#include "core/rng.hpp"
#include "experiments/common/context.hpp"

#include <string>
#include <vector>

namespace attnlab::exp::rank_collapse {

// A stream keyed by (seed, "rank_collapse/<family>", index), independent of the claim id, so that
// two claims that run "the same draws" (claims 1 and 2, claims 3 and 4's stress series) share them.
core::PhiloxStream shared_rng(const Context& ctx, const std::string& family, std::uint64_t index);

// ---------------------------------------------------------------- claims 1-2 (multiprecision SAN)

enum class SanMode { san, skip, frozen };

struct SanSpec {
  int n = 8, d = 8, H = 1, L = 3;
  double input_eps = 0.01;  // X = 1 mu^T + eps Z
  bool mlp = false;         // ReLU MLP (width 2d) after each attention layer, [D] Cor. 3.2 form
  bool biases = false;      // query/key/output biases N(0, 1/d)
  int digits = 100;         // 100, 150 or 250 decimal digits
  SanMode mode = SanMode::san;
};

struct SanLayer {
  int layer = 0;                 // l = 0..L
  double log10_m = 0, log10_rho = 0;
  double log10_c = 0, log10_c_g1 = 0, M = 0;   // constants of layer l (l >= 1)
  double log10_layer_bound = 0, log10_layer_bound_g1 = 0, log10_chained = 0, log10_paper = 0;
  bool holds_layer = true, holds_layer_g1 = true, holds_chained = true;
  bool censored = false;         // rho below 10^{-(digits-20)}
};

struct SanTrial {
  std::vector<SanLayer> layers;  // L + 1 rows
  double log10_sqrt_c_m0 = 0;    // log10(sqrt(max_l c_l) m(X^0))
};

// Draws the weights and the input of trial `trial` from shared_rng(family) and runs the stack in
// `digits`-digit arithmetic. The draws depend on (n, d, H, L, mlp, biases, family, trial) only, not on
// the mode, so SAN, skip and frozen attention see the same weights and inputs.
SanTrial run_san_trial(const Context& ctx, const std::string& family, std::uint64_t trial, const SanSpec& spec);
// The same trial as one unit of work (Context::unit, keyed by "<family>/<mode>" and the trial), so that a
// sharded run spreads the trials and a merge reads them back exactly.
SanTrial san_trial_unit(Context& ctx, const std::string& family, std::uint64_t trial, const SanSpec& spec);

// ---------------------------------------------------------------- claims 3-4 (double stacks)

struct BertSpec {
  int n = 16, d = 64, H = 4, dk = 16, L = 12;
  double std = 0.02;  // weight std
  bool skip = true, mlp = false;
  core::LnPlace ln = core::LnPlace::none;
  double ln_eps = 1e-12;
  bool ln_input = false;  // pass the input through LN first
  double input_mean = 0;  // common offset m added to every input entry (rows N(m 1, I)); 0: the spec's input
  int input_rank = 0;     // 0: rows N(0, I) (the spec's input); r > 0: X = Z1 Z2 / sqrt(r), Z1 n x r, Z2 r x d Gaussian
};
// Weights (per head W_Q, W_K, W_V: d x d_k, W_O: d_k x d; MLP d x 4d and 4d x d; all N(0, std^2), biases 0,
// LN gains 1) and input rows N(0, I) from shared_rng(family, trial). The draws depend on the shapes only (and on
// input_rank when it is > 0: the rank-r input is drawn in place of the Gaussian one).
std::vector<core::MatrixXd> run_bert_stack(const Context& ctx, const std::string& family, std::uint64_t trial,
                                           const BertSpec& spec);

}  // namespace attnlab::exp::rank_collapse

namespace attnlab::exp::rank_collapse {
// The SAN grid of claims 1-2: quick n = d = 8, H in {1, 2}, L = depth, 100 digits; full n in {4, 8, 16, 32},
// d in {8, 32}, H in {1, 2, 4}, biases in every other cell, L = depth (4), 250 digits.
struct SanCell {
  std::string family;
  SanSpec spec;
};
std::vector<SanCell> san_grid(bool full, int depth);
// Digits needed for a depth (spec rule D >= 20 + max -log10 rho): 100 for L <= 3, 250 for L = 4.
int san_digits(int depth);
}  // namespace attnlab::exp::rank_collapse
