#!/usr/bin/env bash
# Install, build, and run every test with CTest:
#   1. preset release: unit, theorem and command-line tests (JUnit: build/release/junit-tests.xml);
#   2. preset asan: the unit tests of every core and theory piece and of the framework, and the
#      quick theorem tests labelled "sanitizer" (tests/CMakeLists.txt), under AddressSanitizer and
#      UndefinedBehaviorSanitizer (g++);
#   3. preset fuzz: the libFuzzer target of the config and --set parsers, briefly (clang).
# Arguments go to the first ctest (e.g. -R theorem). Exit status: non-zero if any stage failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
status=0
ctest --preset release "$@" || status=1

if [ "${ATTNLAB_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "attnlab: sanitizer build (preset asan)" >&2
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan || status=1

  echo "attnlab: fuzzing the config and --set parsers (preset fuzz)" >&2
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  ctest --preset fuzz || status=1
fi
exit $status
