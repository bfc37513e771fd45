#!/bin/bash
# The GPU check: builds cvrl against this machine's CUDA libtorch and runs what only a GPU can
# test: the device tests (test/device) and a 20-step pre-training with --device cuda. Prints a JSON
# summary (and writes it, with the logs, under $OUT or /tmp/gpu-check).
# Needs: .gpu-bundle/ from scripts/gpu-bundle.sh (Node, FFmpeg, node_modules, dist; made on a
# machine with network access), g++ and make, python3 whose torch has CUDA (or LIBTORCH=<a CUDA
# libtorch; LIBTORCH= empty builds against Debian's, for a rehearsal on a CPU machine), a visible
# GPU. No network. Usage: bash scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${GPU_BUNDLE:-.gpu-bundle}
LOGS=${OUT:-/tmp/gpu-check}
WORK=$(mktemp -d)
mkdir -p "$LOGS"
FACTS="$LOGS/facts.txt"
: > "$FACTS"
fact() { printf '%s\t%s\n' "$1" "$2" >> "$FACTS"; }
now() { date +%s.%N; }
since() { python3 -c "import time; print(round(time.time() - $1, 1))"; }

for f in node ffmpeg node_modules dist gloo; do
  [ -f "$BUNDLE/$f.tar.xz" ] || { echo "gpu-check: $BUNDLE/$f.tar.xz missing: run scripts/gpu-bundle.sh on a machine with network access first" >&2; exit 2; }
done
for tool in g++ make python3; do
  command -v "$tool" >/dev/null || { echo "gpu-check: needs $tool" >&2; exit 2; }
done
fact gpu "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
fact cores "$(nproc)"
fact gxx "$(g++ -dumpfullversion)"

t0=$(now)
mkdir -p "$WORK/node" "$WORK/ffmpeg"
tar xJf "$BUNDLE/node.tar.xz" -C "$WORK/node"
tar xJf "$BUNDLE/ffmpeg.tar.xz" -C "$WORK/ffmpeg"
[ -d node_modules ] || tar xJf "$BUNDLE/node_modules.tar.xz"
[ -d dist ] || tar xJf "$BUNDLE/dist.tar.xz"
export PATH="$WORK/node/bin:$PATH" npm_config_nodedir="$WORK/node" CVRL_FFMPEG_PREFIX="$WORK/ffmpeg"
fact node "$(node -v)"
fact unpack_s "$(since "$t0")"

export LIBTORCH=${LIBTORCH-$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')}
fact torch "$(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null)"
[ -d "$LIBTORCH/include/gloo" ] || [ -d /usr/local/include/gloo ] || tar xJf "$BUNDLE/gloo.tar.xz" -C /usr/local/include

# Build: as is; without NCCL; without c10d at all (each fallback is reported).
t0=$(now)
build=failed
for variant in full no-nccl no-c10d; do
  case $variant in
    full) env=() ;;
    no-nccl) env=(CVRL_NCCL=0) ;;
    no-c10d) env=(CVRL_NCCL=0 CVRL_GLOO=0) ;;
  esac
  if env "${env[@]}" JOBS="$(nproc)" node scripts/build-native.mjs > "$LOGS/build-$variant.log" 2>&1; then build=$variant; break; fi
  grep -m 20 -E 'error' "$LOGS/build-$variant.log" | cut -c1-400 > "$LOGS/build-$variant.errors.txt"
done
fact build "$build"
fact build_s "$(since "$t0")"

if [ "$build" != failed ]; then
  CVRL_NO_JEMALLOC=1 node bin/cvrl.js info > "$LOGS/info.txt" 2>&1
  fact torch_config "$(node scripts/torch-config.mjs defines 2>/dev/null)"

  t0=$(now)
  timeout 600 node scripts/run-tests.mjs test/device test/torch/device > "$LOGS/tests.log" 2>&1
  fact tests_rc $?
  for k in pass fail skipped; do fact "tests_$k" "$(grep -E "^# $k " "$LOGS/tests.log" | awk '{print $3}')"; done
  fact tests_s "$(since "$t0")"

  # 20 steps of the demo's recipe on the GPU, then r3d_18 at 16 x 112 x 112 (its data wait shows the loader's share).
  node bin/cvrl.js synth --out "$WORK/data" --classes 4 --videos-per-class 16 --frames 48 --size 128 > "$LOGS/synth.log" 2>&1
  for run in demo r3d18; do
    case $run in
      demo) args=(--config configs/cpu-demo.yaml) ;;
      r3d18) args=(--config configs/cpu-demo.yaml --arch r3d_18 --width 1 --frames 16 --size 112 --batch 16) ;;
    esac
    t0=$(now)
    timeout 300 node bin/cvrl.js pretrain "${args[@]}" --data "$WORK/data" --format ucf101 --annotations "$WORK/data/annotations" \
      --device cuda --steps 20 --log-every 5 --threads "$(nproc)" --parallelism 8 --out "$WORK/run-$run" > "$LOGS/pretrain-$run.log" 2>&1
    fact "pretrain_${run}_rc" $?
    fact "pretrain_${run}_s" "$(since "$t0")"
    [ -f "$WORK/run-$run/metrics.jsonl" ] && tail -1 "$WORK/run-$run/metrics.jsonl" > "$LOGS/pretrain-$run.last.json"
    [ -f "$WORK/run-$run/config.json" ] && cp "$WORK/run-$run/config.json" "$LOGS/pretrain-$run.config.json"
  done
fi

# The summary: every fact, plus the pre-training runs' last metrics.
node -e '
const fs = require("fs"), dir = process.argv[1];
const facts = Object.fromEntries(fs.readFileSync(dir + "/facts.txt", "utf8").trim().split("\n").map((l) => l.split("\t")));
for (const run of ["demo", "r3d18"]) {
  try { facts[`pretrain_${run}_last`] = JSON.parse(fs.readFileSync(`${dir}/pretrain-${run}.last.json`, "utf8")); } catch {}
  try { facts[`pretrain_${run}_resolved`] = JSON.parse(fs.readFileSync(`${dir}/pretrain-${run}.config.json`, "utf8")).resolved; } catch {}
}
const s = JSON.stringify(facts, null, 2);
fs.writeFileSync(dir + "/gpu-check.json", s + "\n");
console.log(s);
' "$LOGS" 2>/dev/null || cat "$FACTS"
rm -rf "$WORK"
