// Registration of the rank_collapse experiment (claims in experiments/rank_collapse/).
#include "experiments/rank_collapse/claims.hpp"

namespace attnlab::exp {

void register_rank_collapse(Registry& r) {
  using namespace rank_collapse;
  Experiment e;
  e.name = "rank_collapse";
  e.title = "What pure attention loses with depth (doubly exponential rank collapse), and what restores it";
  e.source = std::string(kSourceD) + "; " + kSourceC + "; " + kSourceM;
  e.claims = {san_residual_bound(),     san_cubic_rate(),       skip_prevents_collapse(), residual_generic_rank(),
              ln_matrix_rank_neutral(), ln_affine_rank_neutral(), attention_span_invariance(), head_channel_nullity(),
              pgop_overhead(),          hopfield_hidden_state()};
  // Where each claim's non-degeneracy guard trips (tests/unit/exp_degenerate.cpp runs them).
  set_degenerate(e, "san_residual_bound", {{"input_eps", 1e-7}},
                 "tokens spread 1e-7 around their common mean leave almost no residual to collapse: min log10 "
                 "rho(X^0) = -7.17 < -6");
  set_degenerate(e, "san_cubic_rate", {{"input_eps", 1}},
                 "tokens spread O(1) put the SAN outside the small-residual (cubic) regime: ln m_l spans only 7.13 "
                 "over the SAN points (< 10), too little to identify a slope");
  set_degenerate(e, "skip_prevents_collapse", {{"input_mean", 100}},
                 "a common offset 100 on every input entry leaves the input almost no relative residual: min "
                 "rho(X^0) = 0.0094 < 0.1 (n = 2, once an error, is an honest PASS: the pure SAN collapses to an "
                 "exact 0, counted at the smallest double)");
  set_degenerate(e, "residual_generic_rank", {{"input_rank", 1}},
                 "a rank-1 input has no full rank to keep: min rank(X^0) = 1, not 16");
  set_degenerate(e, "ln_matrix_rank_neutral", {{"input_scale", 0}},
                 "all-zero tokens have no rank to keep: min rank(X) = 0 < 1");
  set_degenerate(e, "ln_affine_rank_neutral", {{"n_generic", 1}},
                 "a single token (family a with n = 1) has an empty affine hull: min aff(X) = 0 < 1");
  set_degenerate(e, "attention_span_invariance", {{"d", 16}},
                 "at d = 16 the predicted subspace of the generic skip setting fills the space (dim S_3 = 2 * 2^3 = "
                 "d): 10 vacuous trials");
  set_degenerate(e, "head_channel_nullity", {{"heads_max", 1}},
                 "with H = 1 only, the head-summing map is injective in every cell: 0 cells with a nonzero "
                 "predicted nullity n (H-1) d_k");
  set_degenerate(e, "pgop_overhead", {},
                 "unreachable: the guard counts the extra parameters of the PG-OP module built for BERT-base "
                 "(H (d + 1) = 9228 at d = 768, H = 12), an architecture the claim fixes; the only parameter (seeds) "
                 "drives the forward check, not the count");
  set_degenerate(e, "hopfield_hidden_state", {{"input_eps", 1e-4}},
                 "tokens spread 1e-4 around their common mean leave almost no residual: min log10 rho(X^0) = "
                 "-4.16 < -3");
  r.add(std::move(e));
}

}  // namespace attnlab::exp
