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
  const std::map<std::string, double> none;
  set_degenerate(e, "san_residual_bound", none, "the guard (a residual in X^0) reads Gaussian inputs the claim fixes");
  set_degenerate(e, "san_cubic_rate", none, "the guard (ln m_l spans >= 10) held at the smallest accepted setting, depth 2 with 3 seeds");
  set_degenerate(e, "skip_prevents_collapse", none,
                 "the guard (rho(X^0) >= 0.1) holds for Gaussian inputs at every accepted size; n = 2 is an error, "
                 "not a degenerate setting (open)");
  set_degenerate(e, "residual_generic_rank", none, "the guard (full-rank Gaussian input) held at n = 2; no parameter makes the input rank-deficient");
  set_degenerate(e, "ln_matrix_rank_neutral", none, "the guard (nonzero rank) reads input families the claim fixes");
  set_degenerate(e, "ln_affine_rank_neutral", none,
                 "the guard (aff >= 1, exact formula unambiguous) reads input families the claim fixes");
  set_degenerate(e, "attention_span_invariance", none, "the guard (no vacuous trial) reads settings the claim fixes");
  set_degenerate(e, "head_channel_nullity", none, "the guard counts cells of a fixed grid with nonzero nullity");
  set_degenerate(e, "pgop_overhead", none, "the guard counts the parameters of a module the claim always builds");
  set_degenerate(e, "hopfield_hidden_state", none, "the guard (a residual in Gaussian X^0) held at n = 2; no parameter removes it");
  r.add(std::move(e));
}

}  // namespace attnlab::exp
