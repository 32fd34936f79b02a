// tensor_attention: Alman & Song, "How to Capture Higher-order Correlations? Generalizing Matrix
// Softmax Attention to Kronecker Computation" (arXiv:2310.04064, ICLR 2024), with Match3
// (Sanford-Hsu-Telgarsky, arXiv:2306.02896) and Tensor Product Attention (Zhang et al.,
// arXiv:2501.06425). One function per claim, each in its own translation unit; register.cpp
// collects them. Spec: shared/claims/tensor_attention.md.
#pragma once
#include "core/tensor_attention.hpp"
#include "experiments/common/claim.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace attnlab::exp::tensor_attention {

Claim factored_identity();    // claim 1, identity.cpp
Claim taylor_error_bound();   // claim 2, error_bound.cpp
Claim degree_budget();        // claim 3, degree_budget.cpp
Claim near_linear_cost();     // claim 4, cost.cpp
Claim match3_expressivity();  // claim 5 (optional), match3.cpp
Claim tpa_factored_cache();   // claim 6 (optional), tpa.cpp

inline constexpr const char* kSource =
    "J. Alman, Z. Song, \"How to Capture Higher-order Correlations? Generalizing Matrix Softmax Attention to "
    "Kronecker Computation\", arXiv:2310.04064, ICLR 2024";
inline constexpr double kEps = std::numeric_limits<double>::epsilon();

// ||X - Y||_inf (largest absolute entry).
inline double max_abs_diff(const core::MatrixXd& X, const core::MatrixXd& Y) { return (X - Y).cwiseAbs().maxCoeff(); }

// Draws one input of the named family ("uniform" or "extremal") for order t.
inline core::TensorInputs draw_inputs(const std::string& family, int n, int d, int t, double B, core::PhiloxStream& rng) {
  return family == "extremal" ? core::tensor_inputs_extremal(n, d, t, B, rng) : core::tensor_inputs_uniform(n, d, t, B, rng);
}

}  // namespace attnlab::exp::tensor_attention
