// attnlab: the umbrella binary. It only dispatches to the experiments linked into it.
#include "experiments/common/run.hpp"

int main(int argc, char** argv) {
  attnlab::exp::register_ssm_heads(attnlab::exp::global_registry());
  attnlab::exp::register_nw_ensemble(attnlab::exp::global_registry());
  attnlab::exp::register_rank_collapse(attnlab::exp::global_registry());
  attnlab::exp::register_lottery_ticket(attnlab::exp::global_registry());
  attnlab::exp::register_tensor_attention(attnlab::exp::global_registry());
  attnlab::exp::register_icl_regression(attnlab::exp::global_registry());
  return attnlab::exp::cli_main(argc, argv);
}
