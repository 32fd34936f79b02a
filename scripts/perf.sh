#!/usr/bin/env bash
# attnlab's kernels side by side with PyTorch (bench/side_by_side.py), 1 then 2 threads, interleaved.
# Usage: scripts/perf.sh [build dir, default build/perf] [side_by_side.py options...]
# The build dir should be a Release build (e.g. configured with -DATTNLAB_MARCH=x86-64-v3).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/perf}
shift || true
cmake --build "$build" -j2 --target bench_perf
exec /usr/bin/python3 bench/side_by_side.py --build "$build" "$@"
