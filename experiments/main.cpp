// attnlab: the umbrella binary. It only dispatches to the experiments linked into it.
#include "experiments/common/run.hpp"

int main(int argc, char** argv) {
  attnlab::exp::register_ssm_heads(attnlab::exp::global_registry());
  return attnlab::exp::cli_main(argc, argv);
}
