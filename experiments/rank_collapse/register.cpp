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
  r.add(std::move(e));
}

}  // namespace attnlab::exp
