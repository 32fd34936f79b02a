#!/usr/bin/env bash
# The whole suite: install, build, run every experiment in quick mode, draw the figures.
# Extra arguments go to `attnlab run all` (e.g. --full, --seed 7, --threads 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
status=0
build/release/attnlab run all --quick --out out "$@" || status=$?
echo "attnlab: the report of every claim is in $(pwd)/out/index.md" >&2
exit $status
