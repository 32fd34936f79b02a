// The fixed settings of the ssm_heads spec (S1-S7, Z1, Z2) and the random-SSM generator with
// its gap condition, plus the operator-level helpers claims 1-3 share: the SVD positional
// head construction, the relative operator residual, and the positional factorization loss
// with its hand-written gradients. Spec: shared/claims/ssm_heads.md.
#pragma once
#include "core/attention.hpp"
#include "core/rng.hpp"
#include "core/ssm.hpp"
#include "experiments/common/claim.hpp"

#include <string>
#include <utility>
#include <vector>

namespace attnlab::exp::ssm_heads {

// Numerical rank tolerance of the spec (singular values above tau * sigma_max).
inline constexpr double kRankTol = 1e-10;
// Gap condition: sigma_k / sigma_1 >= kGapLo and sigma_{k+1} / sigma_1 <= kGapHi for L_n.
inline constexpr double kGapLo = 1e-6;
inline constexpr double kGapHi = 1e-12;
// Redraws allowed per setting after the first draw.
inline constexpr int kMaxRedraws = 200;
// The spec's bound on |eigenvalue| of the randomly drawn dynamics (S2-S4, S7, the full grid):
// the default of the experiment-wide parameter "rho_max" (see rho_max_param()).
inline constexpr double kRhoMax = 0.95;

struct Setting {
  std::string id;                   // "S1".."S7", "Z1", "Z2", or a full-grid label
  int n = 0, p = 0, d = 0, N = 0;
  core::LinearSSM<double> ssm;
  int k_pred = 0;                   // predicted k(n) (table value or generic_required_heads)
  std::string dynamics;             // one-line description
  int redraws = 0;                  // draws rejected by the gap condition
  bool gap_ok = true;               // false if the first draw and all 200 redraws failed
  double gap_lo = 0;                // sigma_k / sigma_1 of L_n (closed-form kernel) of the accepted draw
  double gap_hi = 0;                // sigma_{k+1} / sigma_1 (0 when L_n has only k singular values)
};

// Builds a named setting of the spec's table. Random parts draw from `rng` (the caller passes
// ctx.rng(<id>, trial)); a draw violating the gap condition (sigma_k/sigma_1 >= 1e-6 and
// sigma_{k+1}/sigma_1 <= 1e-12 for L_n) is redrawn from the continuation of the same stream,
// at most 200 times. Fixed settings (S1, S5, Z2) draw nothing; their gap condition is still
// evaluated and recorded. `rho_max` bounds |eigenvalue| of the random dynamics of S2-S4 (normal
// A: 1x1 blocks U(-rho_max, rho_max), 2x2 blocks of radius U(min(0.3, rho_max), rho_max)) and S7
// (diagonal U(-rho_max, rho_max)); the spec's value kRhoMax = 0.95 reproduces its draws bit for
// bit. A small rho_max makes the SSM forget within a few steps: the k-th singular value of L_n
// falls below 1e-6 sigma_1, the gap condition fails (gap_ok = false) and the setting is
// degenerate. Throws std::invalid_argument for an unknown id.
Setting make_setting(const std::string& id, core::PhiloxStream& rng, double rho_max = kRhoMax);

// A random normal-A SSM of the full grid (n, p, d, N; D = 0) under the same gap condition.
// k_pred = generic_required_heads(n, N, p, d, false). rho_max as for make_setting.
Setting make_random_setting(const std::string& label, int n, int p, int d, int N, core::PhiloxStream& rng,
                            double rho_max = kRhoMax);

// The experiment-wide parameter "rho_max" (ssm_heads.rho_max), declared identically by every
// claim that draws random dynamics: quick = full = kRhoMax, accepted range [0.01, 0.99].
exp::ParamSpec rho_max_param();

// The ids of the spec's table, in order: S1..S7, then Z1, Z2.
std::vector<std::string> table_setting_ids();

// Gap ratios (sigma_k / sigma_1, sigma_{k+1} / sigma_1) of L_n built from the closed-form kernel;
// sigma_{k+1} counts as 0 when L_n has fewer than k+1 singular values.
std::pair<double, double> gap_ratios(const core::LinearSSM<double>& ssm, int n, int k);
inline bool gap_holds(const std::pair<double, double>& g) { return g.first >= kGapLo && g.second <= kGapHi; }

// Lag weights w_m = n - m (the number of causal pairs with lag m), m = 0..n-1.
core::VectorXd lag_weights(int n);

// Measured head count: numerical rank (tau = 1e-10) of the lag matrix of the impulse responses
// of the SSM simulator (unit vectors fed at position 0).
int measured_k(const core::LinearSSM<double>& ssm, int n);

// An H-head positional model: column h of V is vec V_h (column-major, p x d), row h of c is
// the coefficient table c_h(0..n-1). Its interaction operator is W(m) = sum_h c_h(m) V_h.
struct PositionalModel {
  int p = 0, d = 0;
  core::MatrixXd V;  // pd x H
  core::MatrixXd c;  // H x n
  int heads() const { return static_cast<int>(V.cols()); }
};

// The spec's construction: thin SVD of L_w = U Sigma Q^T (from the lag operators K), V_h =
// unvec(U[:, h]) for the first H columns, c_h(m) = <V_h, K_m>_F. With H = k(n) it reproduces
// the SSM exactly; with H < k it is the Eckart-Young optimal positional model. H is capped
// by the number of columns of U, min(p d, n). `sigma_w` (optional) receives the singular
// values of L_w.
PositionalModel svd_positional_model(const std::vector<core::MatrixXd>& K, int H, core::VectorXd* sigma_w = nullptr);

// The model as a factorized layer of the multi-head simulator: alpha^h = the causal Toeplitz
// matrix of c_h, value map V_h. Heads with index >= H_max are left out (H_max < 0: all).
core::FactorizedLayer<double> positional_layer(const PositionalModel& m, int H_max = -1);

// Relative operator residual sqrt(E) / ||L_w||_F of a positional model against the reference
// lag operators K: E = sum over causal pairs (i, j) of ||W_ij - K_{i-j}||_F^2, where the model's
// W_ij = sum_h c_h(i-j) V_h; the pairs are grouped by lag (n - m pairs have lag m).
double relative_operator_residual(const PositionalModel& m, const std::vector<core::MatrixXd>& K);


}  // namespace attnlab::exp::ssm_heads
