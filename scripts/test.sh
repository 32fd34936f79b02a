#!/usr/bin/env bash
# Install, build, and run every test (unit, theorem, command line) with CTest; JUnit output
# goes to build/release/junit-tests.xml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ctest --preset release "$@"
