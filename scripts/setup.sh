#!/usr/bin/env bash
# Installs the Debian packages attnlab needs (only those missing), then configures and
# builds with the CMake preset `release` (build/release). Sourced by suite.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(cmake ninja-build g++ git ccache python3 python3-matplotlib python3-numpy
          libeigen3-dev libboost-dev librandom123-dev catch2 libbenchmark-dev libcli11-dev
          nlohmann-json3-dev libfmt-dev clang libomp-dev parallel)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "attnlab: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# nvcc lives outside PATH in a default CUDA install; AUTO finds it there too.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_BASEDIR="$(pwd)"  # paths relative to the checkout: clones share the cache
# The sanitizer and fuzz builds compile with -g, and ccache then hashes the build folder's absolute
# path unless told not to: without this, every fresh clone recompiled both (about 35 min on 2 cores).
# (Debug info of a cached object names the folder of the clone that first compiled it.)
export CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release
