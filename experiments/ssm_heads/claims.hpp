// ssm_heads: "How Many Heads Make an SSM?" (Ghodsi, arXiv:2512.15115). One function per claim,
// each in its own translation unit; register.cpp collects them. Spec: shared/claims/ssm_heads.md.
#pragma once
#include "experiments/common/claim.hpp"

namespace attnlab::exp::ssm_heads {

Claim exact_emulation_at_k();        // claim 1, exact_emulation.cpp
Claim deficit_below_k();             // claim 2, deficit.cpp
Claim single_head_rank_gap();        // claim 3, rank_gap.cpp
Claim ssm_gradient_decay();          // claim 4, ssm_decay.cpp
Claim attention_gradient_highway();  // claim 5, highway.cpp
Claim lower_bound_scope();           // claim 6, lower_bound_scope.cpp

inline constexpr const char* kSource = "A. Ghodsi, \"How Many Heads Make an SSM? A Unified Framework for Attention and State Space Models\", arXiv:2512.15115 (v1, 2025)";

}  // namespace attnlab::exp::ssm_heads
