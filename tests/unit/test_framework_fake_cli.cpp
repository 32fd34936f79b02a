// attnlab_fake_cli: the framework's CLI with only the "fake" experiment, for tests/cli/test_cli.py.
#include "experiments/common/run.hpp"
#include "tests/unit/test_framework_fake.hpp"

int main(int argc, char** argv) {
  attnlab::test::register_fake(attnlab::exp::global_registry());
  return attnlab::exp::cli_main(argc, argv);
}
