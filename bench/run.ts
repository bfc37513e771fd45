/**
 * One benchmark entry point: every case runs cvrl and a PyTorch reference (Debian's python3-torch;
 * PyAV for decoding) on this machine, alternating the two so that drift hits both, warm-up excluded.
 * Per case: our median, the reference's, ratio = our throughput over theirs (above 1: cvrl is
 * faster), achieved GFLOP/s and share of this CPU's peak (compute cases), peak resident memory.
 * The paired cases compare cvrl with itself in one process (the loader's cost, bf16 against fp32).
 * Usage: npm run bench -- [--quick] [--json FILE] [--only SUBSTRING] [--threads N] [--rounds N] [--device cuda:N].
 * With --device, the compute cases run on that GPU on both sides (larger clips and batches; no
 * loader cases), the reference with CVRL_BENCH_PYTHON (default /usr/bin/python3).
 * Prints one JSON object: {"machine": {...}, "cases": [{"name", "unit", "ours", "reference", "ratio", ...}]}.
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { modelConfig } from '../src/models/registry.js';
import { createModel } from '../src/models/index.js';
import { machine } from './machine.js';
import { type StepSpec } from './step/ours.js';
import { decodeCases } from './decode-cases.js';
import { pretrainCase, worldSizeCase, WORLD_SIZE_CASE, pairedCases, pairedCaseNames } from './pretrain-e2e.js';
import { resolvePrecision } from '../src/torch/precision.js';
import { allreduceCases, ALLREDUCE_CASE } from './allreduce-case.js';
import { jemallocEnv } from '../scripts/jemalloc.mjs';
import { compiledBenchScript } from './compiled.js';
import { median, round } from './stats.js';

const { values: a } = parseArgs({ options: {
  quick: { type: 'boolean', default: false }, json: { type: 'string' }, only: { type: 'string' },
  threads: { type: 'string', default: String(Math.min(2, cpus().length)) }, rounds: { type: 'string' },
  device: { type: 'string', default: 'cpu' },
} });
const device = a.device!, gpu = device !== 'cpu';
const threads = Number(a.threads), rounds = Number(a.rounds ?? (a.quick ? 2 : 3));
if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`--threads must be a positive integer, got ${a.threads}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be a positive integer, got ${a.rounds}`);
const here = dirname(fileURLToPath(import.meta.url));
// Loading cvrl (above) set OPENBLAS_THREAD_TIMEOUT in process.env (src/native/addon.ts): both sides
// inherit it, as they share jemalloc, so that the ratios compare the code and not that setting.
const env = jemallocEnv() ?? process.env;

interface Case { name: string; spec: StepSpec }
const step = (mode: StepSpec['mode'], arch: string, batch: number, frames: number, size: number, precision: StepSpec['precision'], reps: number, head: [number, number] = [256, 64]): Case => ({
  name: `${mode === 'train' ? 'train step' : mode === 'infer-onnx' ? 'inference (onnxruntime-node)' : 'inference'} ${arch} ${mode === 'train' ? '2x' : ''}${batch} clips ${frames}x${size}x${size} ${precision}`,
  spec: { mode, arch, batch, frames, size, precision, device, threads, warmup: gpu ? 3 : 2, reps, head },
});
const cases: Case[] = [];
if (gpu) {
  for (const p of ['fp32', 'bf16'] as const) {
    cases.push(step('train', 'r3d_18_tiny', 32, 8, 48, p, 10)); // the demo's model: small kernels, per-op overhead shows
    cases.push(step('train', 'r3d_18', 16, 16, 112, p, 6, [2048, 128]));
  }
  cases.push(step('train', 'cvrl_r3d50', 8, 16, 112, 'bf16', 4, [2048, 128]));
}
for (const p of gpu ? [] : ['fp32', 'bf16'] as const) {
  cases.push(step('train', 'r3d_18_tiny', 32, 8, 48, p, a.quick ? 4 : 8)); // the demo's model, size and batch
  cases.push(step('train', 'r3d_18_tiny', 16, 8, 64, p, a.quick ? 4 : 8));
  cases.push(step('train', 'r3d_18', 4, 8, 112, p, a.quick ? 1 : 3, [2048, 128]));
  if (!a.quick) cases.push(step('train', 'cvrl_r3d50', 2, 8, 112, p, 2, [2048, 128]));
  cases.push(step('infer', 'r3d_18_tiny', 32, 8, 48, p, a.quick ? 6 : 12));
  if (p === 'fp32') cases.push(step('infer-onnx', 'r3d_18_tiny', 32, 8, 48, p, a.quick ? 6 : 12));
  if (!a.quick) cases.push(step('infer', 'r3d_18', 8, 16, 112, p, 3));
}
if (!gpu) cases.push({ name: 'ntxent loss 2x1024 x 128 forward+backward fp32', spec: { mode: 'ntxent', arch: '', batch: 0, frames: 0, size: 0, precision: 'fp32', threads, warmup: 3, reps: 20, head: [0, 0], rows: 1024, dim: 128 } });

interface Side { ms: number[]; params: number; peak_rss_mb: number; error?: string }
function runSide(which: 'ours' | 'ref', c: Case): Side {
  const r = which === 'ours'
    ? spawnSync(process.execPath, [compiledBenchScript(join(here, 'step', 'ours.ts')), JSON.stringify(c.spec)], { encoding: 'utf8', env })
    : spawnSync(process.env.CVRL_BENCH_PYTHON ?? '/usr/bin/python3', [join(here, 'step', 'ref.py'), JSON.stringify(c.spec), c.spec.arch ? JSON.stringify(modelConfig(c.spec.arch)) : 'null'], { encoding: 'utf8', env });
  if (r.status !== 0) return { ms: [], params: 0, peak_rss_mb: NaN, error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Side;
}

const m = machine(threads);

/** Multiply-adds of the encoder for one clip (the head and loss are negligible beside it). */
function macsPerClip(s: StepSpec): number {
  const model = createModel(s.arch, { numClasses: 0 });
  return model.cost(s.frames, s.size, s.size).macs;
}

const out: Record<string, unknown>[] = [];
const started = performance.now();
const elapsed = () => Math.round((performance.now() - started) / 1000);
/** One line per finished case on stderr, with the seconds since the start and the case's error if any. */
const progress = (line: string, error?: unknown) => process.stderr.write(`bench [${elapsed()} s]: ${line}${error ? ` (${error})` : ''}\n`);
for (const c of cases.filter((x) => !a.only || x.name.includes(a.only))) {
  const ours: Side[] = [], ref: Side[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which side goes first: the second of two back-to-back runs tends to be faster.
    if (i % 2 === 0) ours.push(runSide('ours', c));
    ref.push(runSide('ref', c));
    if (i % 2 === 1) ours.push(runSide('ours', c));
  }
  const err = [...ours, ...ref].find((s) => s.error);
  const o = median(ours.flatMap((s) => s.ms)), r = median(ref.flatMap((s) => s.ms));
  const row: Record<string, unknown> = { name: c.name, unit: 'ms', ours: round(o), reference: round(r), ratio: round(r / o), ours_runs: ours.map((s) => round(median(s.ms))), reference_runs: ref.map((s) => round(median(s.ms))) };
  if (c.spec.mode !== 'ntxent') {
    // FLOP = 2 x multiply-adds; a training step is about 3 forward passes (forward, two backward products).
    const flop = 2 * macsPerClip(c.spec) * (c.spec.mode === 'train' ? 3 * 2 * c.spec.batch : c.spec.batch);
    const gflops = flop / (o / 1000) / 1e9;
    Object.assign(row, { clips_per_s: round(((c.spec.mode === 'train' ? 2 : 1) * c.spec.batch * 1000) / o, 1), gflops: round(gflops, 1) });
    if (!gpu) row.peak_share = round(gflops / m.peak_gflops[c.spec.precision], 3);
    if (ours[0]?.params !== ref[0]?.params) row.error = `parameter counts differ: cvrl ${ours[0]?.params}, reference ${ref[0]?.params}`;
  }
  Object.assign(row, { ours_peak_rss_mb: round(Math.max(...ours.map((s) => s.peak_rss_mb)), 0), reference_peak_rss_mb: round(Math.max(...ref.map((s) => s.peak_rss_mb)), 0) });
  if (err) row.error = err.error;
  out.push(row);
  progress(`${c.name}: cvrl ${row.ours} ms, PyTorch ${row.reference} ms, ratio ${row.ratio}`, row.error);
}
let fp32EndToEnd: number | undefined; // 1 process x 2 threads, reused by the world-size case
// `cvrl pretrain` end to end in its own processes; --quick leaves it to the paired cases below, which resolve more in less time.
for (const p of gpu || a.quick ? [] : ['fp32', 'bf16'] as const) {
  const name = `load: demo pre-training end to end vs compute only, ${p}`;
  if (a.only && !name.includes(a.only)) continue;
  const row = await pretrainCase({ quick: a.quick, rounds, threads, precision: p, env });
  if (p === 'fp32' && threads === 2 && typeof row.ours === 'number') fp32EndToEnd = row.ours;
  out.push(row);
  progress(`${name}: ${row.ours} clips/s end to end, ${row.reference} compute only, ratio ${row.ratio}`, row.error);
}
const pairedPrecisions = resolvePrecision('auto') === 'bf16' ? ['bf16', 'fp32'] as const : ['fp32'] as const;
if (!gpu && (!a.only || pairedCaseNames([...pairedPrecisions]).some((n) => n.includes(a.only!)))) {
  // Blocks of seconds, alternating: many rounds cost little and make the median steady.
  for (const row of await pairedCases({ rounds: a.quick ? 6 : 4 * rounds, threads, precisions: [...pairedPrecisions], env })) {
    out.push(row);
    progress(`${row.name}: ${row.ours} clips/s, ${row.reference} against, ratio ${row.ratio}`, row.error);
  }
}
if (!gpu && (!a.only || WORLD_SIZE_CASE.includes(a.only))) {
  const row = await worldSizeCase({ quick: a.quick, env, oneByTwo: fp32EndToEnd });
  out.push(row);
  progress(`${row.name}: ${row.ours} clips/s on 2 x 1, ${row.reference} on 1 x 2, ratio ${row.ratio}`, row.error);
}
if (!gpu) {
  const rows = decodeCases({ quick: a.quick, only: a.only, env });
  out.push(...rows);
  if (rows.length) progress(`decode: ${rows.length} cases`, rows.some((r) => r.error) && 'with errors');
}
if (!gpu && (!a.only || ALLREDUCE_CASE.includes(a.only))) {
  for (const row of allreduceCases({ rounds, env })) {
    out.push(row);
    progress(`${row.name}: cvrl ${row.ours} ms, PyTorch ${row.reference} ms, ratio ${row.ratio}`, row.error);
  }
}
const result = { machine: { ...m, ...(gpu ? { device } : {}) }, rounds, seconds: elapsed(), cases: out };
if (a.json) writeFileSync(a.json, JSON.stringify(result, null, 1));
console.log(JSON.stringify(result, null, 1));
