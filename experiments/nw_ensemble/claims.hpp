// nw_ensemble: "Multi-Head Attention as Ensemble Nadaraya-Watson Estimation" (Fokoue,
// arXiv:2605.20271). One function per claim; register.cpp collects them.
// Spec: shared/claims/nw_ensemble.md.
#pragma once
#include "experiments/common/claim.hpp"

namespace attnlab::exp::nw_ensemble {

Claim softmax_is_nw();            // claim 1, identities.cpp
Claim mha_is_nw_ensemble();       // claim 2, identities.cpp
Claim bvc_identity();             // claim 3, bvc.cpp
Claim angle_decorrelation();      // claim 4, decorrelation.cpp
Claim mse_decreases_with_hdi();   // claim 5, decorrelation.cpp
Claim optimal_allocation();       // claim 6, allocation.cpp
Claim dk_log_n();                 // claim 7, allocation.cpp
Claim heads_linear_in_budget();   // claim 8, allocation.cpp

inline constexpr const char* kSource =
    "E. Fokoue, \"Multi-Head Attention as Ensemble Nadaraya-Watson Estimation: Variance Reduction, "
    "Decorrelation, and Optimal Head Diversity\", arXiv:2605.20271 (v1, May 2026)";

}  // namespace attnlab::exp::nw_ensemble
