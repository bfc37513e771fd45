#!/usr/bin/env bash
# One-step set-up for a fresh Debian (bookworm) machine, safe to re-run: system packages when
# missing, npm dependencies when the lockfile changed, then the native addon and TypeScript builds.
set -euo pipefail
cd "$(dirname "$0")/.."

# libtorch (C++ PyTorch) for the addon; python3-torch is the numeric oracle in tests and benchmarks;
# python3-torchvision and python3-onnx check model parity and ONNX export; jemalloc keeps resident
# memory flat; OpenBLAS replaces the slow reference BLAS behind matmul; FFmpeg's libraries decode and
# encode video in the addon (python3-av is the benchmark reference, the ffmpeg CLI makes test fixtures
# and times the decode bench's decode-only bound);
# headless chromium checks in tests that `cvrl report` pages render and run their inline script, and
# runs the browser example; protoc and python3-protobuf decode TensorBoard event files independently.
# libgloo-dev provides the <gloo/...> headers that c10d's ProcessGroupGloo.hpp includes (distributed
# training; libtorch-dev ships the c10d headers and symbols but not Gloo's headers).
# libdnnl-dev: oneDNN's headers, for the channels-last convolution and batch norm (native/onednn.h)
# that call the libdnnl libtorch itself links.
PACKAGES=(libtorch-dev python3-torch python3-torchvision python3-onnx libjemalloc2 libopenblas0-pthread g++ make python3 pkg-config
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev python3-av ffmpeg chromium libgloo-dev
  protobuf-compiler python3-protobuf libdnnl-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# npm ci also builds the addon through the package's install script.
stamp=node_modules/.cvrl-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

npm run --silent build
