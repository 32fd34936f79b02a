// attnlab-<experiment>: one experiment's own binary, same flags as `attnlab`.
#include "experiments/common/run.hpp"

int main(int argc, char** argv) {
  attnlab::exp::ATTNLAB_REGISTER(attnlab::exp::global_registry());
  return attnlab::exp::cli_main(argc, argv, ATTNLAB_EXPERIMENT);
}
