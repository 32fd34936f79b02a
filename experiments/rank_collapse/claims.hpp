// rank_collapse: what pure attention loses with depth, and what restores it. Ten claims from three papers,
// one function per claim; register.cpp collects them. Spec: shared/claims/rank_collapse.md.
#pragma once
#include "experiments/common/claim.hpp"

namespace attnlab::exp::rank_collapse {

Claim san_residual_bound();         // claim 1, san_bound.cpp
Claim san_cubic_rate();             // claim 2, san_rate.cpp
Claim skip_prevents_collapse();     // claim 3, skip.cpp
Claim residual_generic_rank();      // claim 4, generic_rank.cpp
Claim ln_matrix_rank_neutral();     // claim 5, ln_rank.cpp
Claim ln_affine_rank_neutral();     // claim 6, ln_rank.cpp (expected FAIL)
Claim attention_span_invariance();  // claim 7, span.cpp
Claim head_channel_nullity();       // claim 8, heads.cpp
Claim pgop_overhead();              // claim 9, heads.cpp
Claim hopfield_hidden_state();      // claim 10, hopfield.cpp

inline constexpr const char* kSourceD =
    "Y. Dong, J.-B. Cordonnier, A. Loukas, \"Attention is not all you need: pure attention loses rank doubly "
    "exponentially with depth\", ICML 2021, arXiv:2103.03404";
inline constexpr const char* kSourceC =
    "G. Cirrincione, \"Rank, Head-Channel Non-Identifiability, and Symmetry Breaking: A Precise Analysis of "
    "Representational Collapse in Transformers\", arXiv:2604.23681 (v1)";
inline constexpr const char* kSourceM =
    "T. Masumura, M. Taki, \"On the Role of Hidden States of Modern Hopfield Network in Transformer\", NeurIPS 2025, "
    "arXiv:2511.20698";

}  // namespace attnlab::exp::rank_collapse
