#!/usr/bin/env bash
# attnlab's kernels side by side with PyTorch (bench/side_by_side.py), 1 then 2 threads, interleaved.
# Usage: scripts/perf.sh [build dir, default build/perf] [side_by_side.py options...]
# The build dir should be a Release build (e.g. configured with -DATTNLAB_MARCH=x86-64-v3).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/perf}
shift || true
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "attnlab: installing Debian's python3-torch for the PyTorch baselines" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y python3-torch; else sudo apt-get install -y python3-torch; fi
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  PATH=/usr/local/cuda/bin:$PATH cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DATTNLAB_MARCH=x86-64-v3 -DATTNLAB_CUDA=OFF -DATTNLAB_BUILD_TESTS=OFF
fi
cmake --build "$build" -j2 --target bench_perf
exec /usr/bin/python3 bench/side_by_side.py --build "$build" "$@"
