#!/bin/bash
# The GPU check: builds cvrl against this machine's CUDA libtorch and runs what only a GPU can
# test: the device tests (test/device) and a 20-step pre-training with --device cuda. Prints a JSON
# summary and writes it, with every log in gpu-check-logs.tar.gz, to $OUT (default /tmp/gpu-check).
# Needs: .gpu-bundle/ from scripts/gpu-bundle.sh (Node, FFmpeg, node_modules, dist; made on a
# machine with network access), g++ and make, python3 whose torch has CUDA (or LIBTORCH=<a CUDA
# libtorch; LIBTORCH= empty builds against Debian's, for a rehearsal on a CPU machine), a visible
# GPU. No network. Usage: bash scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${GPU_BUNDLE:-.gpu-bundle}
DEVICE=${GPU_CHECK_DEVICE:-cuda} # cpu: a rehearsal of the whole check on a CPU machine
STEPS=${GPU_CHECK_STEPS:-20}
DEST=${OUT:-/tmp/gpu-check}
WORK=$(mktemp -d)
LOGS="$WORK/logs"
mkdir -p "$LOGS" "$DEST"
FACTS="$DEST/facts.txt" # written as it goes: what a run stopped at its time limit found is kept
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

# Unpacked once, at a fixed place: the build is configured for FFmpeg's path and rebuilds when it moves.
t0=$(now)
TOOLS="$BUNDLE/unpacked"
for f in node ffmpeg; do
  [ -d "$TOOLS/$f" ] || { mkdir -p "$TOOLS/$f" && tar xJf "$BUNDLE/$f.tar.xz" -C "$TOOLS/$f"; }
done
[ -d node_modules ] || tar xJf "$BUNDLE/node_modules.tar.xz"
[ -d dist ] || tar xJf "$BUNDLE/dist.tar.xz"
TOOLS=$(cd "$TOOLS" && pwd)
export PATH="$TOOLS/node/bin:$PATH" npm_config_nodedir="$TOOLS/node" CVRL_FFMPEG_PREFIX="$TOOLS/ffmpeg"
fact node "$(node -v)"
fact unpack_s "$(since "$t0")"

export LIBTORCH=${LIBTORCH-$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')}
fact torch "$(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null)"
[ -d "$LIBTORCH/include/gloo" ] || [ -d /usr/local/include/gloo ] || tar xJf "$BUNDLE/gloo.tar.xz" -C /usr/local/include

# Build: as is; then without Gloo (its headers may not match this libtorch), without NCCL, without
# c10d at all: the first that builds is tested, and the JSON names it.
t0=$(now)
build=failed
for variant in full no-gloo no-nccl no-c10d; do
  case $variant in
    full) env=() ;;
    no-gloo) env=(CVRL_GLOO=0) ;;
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

  # 20 steps (GPU_CHECK_STEPS) of the demo's recipe on the GPU, then r3d_18 at 16 x 112 x 112 (its data wait shows the loader's share).
  node bin/cvrl.js synth --out "$WORK/data" --classes 4 --videos-per-class 16 --frames 48 --size 128 > "$LOGS/synth.log" 2>&1
  for run in demo r3d18; do
    case $run in
      demo) args=(--config configs/cpu-demo.yaml) ;;
      r3d18) args=(--config configs/cpu-demo.yaml --arch r3d_18 --frames 16 --size 112 --batch 16) ;;
    esac
    t0=$(now)
    timeout 240 node bin/cvrl.js pretrain "${args[@]}" --data "$WORK/data" --format ucf101 --annotations "$WORK/data/annotations" \
      --device "$DEVICE" --steps "$STEPS" --log-every 5 --threads "$(nproc)" --parallelism 8 --out "$WORK/run-$run" > "$LOGS/pretrain-$run.log" 2>&1
    fact "pretrain_${run}_rc" $?
    fact "pretrain_${run}_s" "$(since "$t0")"
    [ -f "$WORK/run-$run/metrics.jsonl" ] && tail -1 "$WORK/run-$run/metrics.jsonl" > "$LOGS/pretrain-$run.last.json"
    [ -f "$WORK/run-$run/config.json" ] && cp "$WORK/run-$run/config.json" "$LOGS/pretrain-$run.config.json"
    grep -E '^(cvrl|Error)|error' "$LOGS/pretrain-$run.log" | head -5 > "$LOGS/pretrain-$run.errors.txt"
    if [ $run = demo ] && [ "$DEVICE" != cpu ] && [ "${GPU_CHECK_BENCH:-1}" = 1 ]; then
      # cvrl against PyTorch eager on the same GPU: training steps in fp32 and bf16 (bench/run.ts --device).
      t0=$(now)
      CVRL_BENCH_PYTHON=$(command -v python3) timeout 240 node --import tsx bench/run.ts --device cuda:0 --rounds 1 --threads "$(nproc)" --json "$DEST/bench-gpu.json" > "$LOGS/bench.log" 2>&1
      fact bench_rc $?
      fact bench_s "$(since "$t0")"
    fi
  done
fi

grep -h -A12 '^not ok' "$LOGS/tests.log" 2>/dev/null | head -80 > "$LOGS/tests-failed.txt"
if [ "$build" != failed ] && [ "${GPU_CHECK_CPU_SUITE:-1}" = 1 ]; then
  # The CPU suites that compare kernels with PyTorch, now against this libtorch and this torch.
  t0=$(now)
  CVRL_TEST_PYTHON=$(command -v python3) timeout "${GPU_CHECK_SUITE_S:-150}" node scripts/run-tests.mjs test/torch test/nn test/ssl test/models > "$LOGS/suite.log" 2>&1
  fact suite_rc $?
  for k in pass fail skipped; do fact "suite_$k" "$(grep -E "^# $k " "$LOGS/suite.log" | awk '{print $3}')"; done
  fact suite_s "$(since "$t0")"
  grep -h -A12 '^not ok' "$LOGS/suite.log" | head -60 > "$LOGS/suite-failed.txt"
fi

# A test file killed by a signal: run it again under a debugger for the native backtrace.
crashed=$(cat "$LOGS"/tests.log "$LOGS"/suite.log 2>/dev/null | grep -B8 "signal: 'SIG" | grep -oE "^not ok [0-9]+ - \S+\.test\.ts" | head -1 | awk '{print $NF}')
debugger=$(command -v cuda-gdb || command -v gdb)
if [ -n "$crashed" ] && [ -n "$debugger" ]; then
  fact crashed_file "$crashed"
  CVRL_TEST_PYTHON=$(command -v python3) timeout 240 "$debugger" -q -batch -ex run -ex bt --args node --expose-gc --import tsx "$crashed" 2>&1 \
    | grep -vE 'New Thread|Thread 0x.* exited|^\[Inferior' | tail -60 > "$LOGS/backtrace.txt"
  grep -E '^#[0-9]+ ' "$LOGS/backtrace.txt" | head -25 > "$LOGS/backtrace-errors.txt"
fi

# The summary: every fact, the pre-training runs' last metrics, build errors and failed tests.
node -e '
const fs = require("fs"), [dir, dest] = process.argv.slice(1);
const facts = Object.fromEntries(fs.readFileSync(dest + "/facts.txt", "utf8").trim().split("\n").map((l) => l.split("\t")));
for (const run of ["demo", "r3d18"]) {
  try { facts[`pretrain_${run}_last`] = JSON.parse(fs.readFileSync(`${dir}/pretrain-${run}.last.json`, "utf8")); } catch {}
  try { facts[`pretrain_${run}_resolved`] = JSON.parse(fs.readFileSync(`${dir}/pretrain-${run}.config.json`, "utf8")).resolved; } catch {}
}
for (const f of fs.readdirSync(dir).filter((n) => n.endsWith("errors.txt") || n.endsWith("-failed.txt"))) {
  const text = fs.readFileSync(`${dir}/${f}`, "utf8").trim();
  if (text) facts[f] = text.split("\n");
}
const s = JSON.stringify(facts, null, 2);
fs.writeFileSync(dest + "/gpu-check.json", s + "\n");
console.log(s);
' "$LOGS" "$DEST" || cat "$FACTS"
tar czf "$DEST/gpu-check-logs.tar.gz" -C "$WORK" logs
rm -rf "$WORK"
