// icl_regression: "In-Context Linear Regression Demystified" (He, Pan, Chen, Yang, arXiv:2503.12734).
// One function per claim, each in its own translation unit; register.cpp collects them.
// Spec: shared/claims/icl_regression.md.
#pragma once
#include "experiments/common/claim.hpp"

namespace attnlab::exp::icl_regression {

Claim gradient_check();      // claim 1, gradient_check.cpp
Claim dgd_limit();           // claim 2, dgd_limit.cpp
Claim attention_patterns();  // claim 3, patterns.cpp
Claim risk_matches_dgd();    // claim 4, risk.cpp
Claim near_bayes();          // claim 5, near_bayes.cpp
Claim length_generalization();  // claim 6, length.cpp
Claim preconditioned_gd();   // claim 7, precond.cpp
Claim multitask_superposition();  // claim 8, multitask.cpp

inline constexpr const char* kSource =
    "J. He, X. Pan, S. Chen, Z. Yang, \"In-Context Linear Regression Demystified: Training Dynamics and Mechanistic "
    "Interpretability of Multi-Head Softmax Attention\", arXiv:2503.12734 (v2, 2025; ICML 2025)";

}  // namespace attnlab::exp::icl_regression
