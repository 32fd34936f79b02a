// The Gaussian regression testbed shared by the statistical claims of nw_ensemble
// (spec "Testbed", "Measurement conventions"): designs x_i ~ N(0, Sigma) drawn from one stream
// per design, query x0 = 0, Gaussian-kernel heads in span(P_a), design-exact moments.
#pragma once
#include "core/kernel_regression.hpp"
#include "core/rng.hpp"
#include "experiments/common/context.hpp"

#include <vector>

namespace attnlab::exp::nw_ensemble {

using core::MatrixXd;
using core::VectorXd;

// n x d design, rows x_i = L z_i (L = lower Cholesky factor of Sigma; empty = identity), drawn
// row by row from `rng`.
MatrixXd draw_design(int n, int d, core::PhiloxStream& rng, const MatrixXd& L = MatrixXd());

// H x n matrix of head weights at x0 = 0: row a = softmax_i(-||P_a^T x_i||^2 / (2 h^2)).
// gain0 = true: uniform weights 1/n (query/key gain g = 0).
MatrixXd head_weights(const MatrixXd& X, const std::vector<MatrixXd>& P, double h, bool gain0 = false);

// phi-family heads with a target HDI t: phi = arccos((1 - t)^{1/4}).
std::vector<MatrixXd> phi_heads(int d, int H, int dk, double hdi_target);

// Bootstrap resample of R design indices from ctx.rng("bootstrap", b).
std::vector<int> bootstrap_indices(const Context& ctx, int R, int b, const std::string& family = "bootstrap");

// Population mean / variance / covariance helpers over selected indices (all when idx empty).
double sel_mean(const std::vector<double>& x, const std::vector<int>& idx);
double sel_cov(const std::vector<double>& x, const std::vector<double>& y, const std::vector<int>& idx);

}  // namespace attnlab::exp::nw_ensemble
