# Tests of experiments/common (the framework) and of the command line. Included from
# tests/CMakeLists.txt. A throwaway experiment "fake" (unit/test_framework_fake.cpp) lives
# only in these test binaries, never in attnlab.
add_library(attnlab_test_fake STATIC ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_framework_fake.cpp)
target_link_libraries(attnlab_test_fake PUBLIC attnlab_common)

foreach(name framework_verdict framework_io framework_params framework_inject framework_shard)
  add_executable(test_${name} ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_${name}.cpp)
  target_link_libraries(test_${name} PRIVATE attnlab_test_fake Catch2::Catch2WithMain)
  add_test(NAME unit.${name} COMMAND test_${name})
  set_tests_properties(unit.${name} PROPERTIES TIMEOUT 120 LABELS sanitizer)
  list(APPEND ATTNLAB_SANITIZER_TESTS test_${name})
endforeach()

# The CLI with only the fake experiment: exact exit codes and outputs, independent of the
# real experiments' results.
add_executable(attnlab_fake_cli ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_framework_fake_cli.cpp)
target_link_libraries(attnlab_fake_cli PRIVATE attnlab_test_fake)

# tests/cli/test_cli.py <attnlab binary> [test classes]: stdlib unittest, Debian's python3.
set(ATTNLAB_CLI_TEST ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py)
set(ATTNLAB_CLI_ENV "ATTNLAB_FAKE_BIN=$<TARGET_FILE:attnlab_fake_cli>"
    "ATTNLAB_EXPERIMENT_BIN=$<TARGET_FILE:attnlab-ssm_heads>")
add_test(NAME cli.usage COMMAND /usr/bin/python3 ${ATTNLAB_CLI_TEST} $<TARGET_FILE:attnlab> UsageErrors Basics)
add_test(NAME cli.fake COMMAND /usr/bin/python3 ${ATTNLAB_CLI_TEST} $<TARGET_FILE:attnlab> FakeRuns)
add_test(NAME cli.run COMMAND /usr/bin/python3 ${ATTNLAB_CLI_TEST} $<TARGET_FILE:attnlab> RealRuns)
set_tests_properties(cli.usage cli.fake PROPERTIES TIMEOUT 300 ENVIRONMENT "${ATTNLAB_CLI_ENV}")
# The training workload (icl_regression, minutes in quick mode) is left out of the real runs
# here; its theorem tests run it.
set_tests_properties(cli.run PROPERTIES TIMEOUT 1200 ENVIRONMENT "${ATTNLAB_CLI_ENV};ATTNLAB_CLI_SKIP=icl_regression")

# Bad input at scale: >= 500 generated malformed command lines and config files, each exit 2
# with one error line and the output folder untouched (tests/cli/test_bad_inputs.py).
add_test(NAME cli.bad_inputs COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_bad_inputs.py
         $<TARGET_FILE:attnlab_fake_cli> $<TARGET_FILE:attnlab>)
set_tests_properties(cli.bad_inputs PROPERTIES TIMEOUT 600)

# Interrupted runs: SIGKILL at 20 moments of a quick run (figures included), then a re-run
# into the same folder; SIGINT once (tests/cli/test_interrupt.py).
add_test(NAME cli.interrupt COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_interrupt.py
         $<TARGET_FILE:attnlab> ssm_heads "*gradient*")
set_tests_properties(cli.interrupt PROPERTIES TIMEOUT 900)

# Sharded runs and merge (tests/cli/test_shard.py): the fake experiment through every path, and
# ssm_heads (N = 2 with figures, N = 3, GNU parallel) and rank_collapse san_* (N = 2) merged to
# the unsharded run's CSVs byte for byte.
add_test(NAME cli.shard COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_shard.py
         $<TARGET_FILE:attnlab> $<TARGET_FILE:attnlab_fake_cli>)
set_tests_properties(cli.shard PROPERTIES TIMEOUT 600)
