/**
 * The loader case of `npm run bench`: demo pre-training end to end (`cvrl pretrain` with
 * configs/cpu-small.yaml on the demo's synthetic set: decode, augment, pseudo-motion, step) against
 * the same step on clips already in memory (bench/step/ours.ts `recipe`). ratio = end-to-end rate
 * over compute-only rate: 1 means loading costs nothing. No PyTorch reference: this is cvrl's
 * pipeline against itself. The paired case measures the same in one process, in alternating blocks
 * of a few seconds (bench/pretrain-paired.ts), where this machine's drift cancels, and bf16 against
 * fp32 the same way. Also the world-size case: the same run on 2 processes x 1 thread against 1
 * process x 2 threads, with the same global batch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { synthesizeDataset } from '../src/video/synth.js';
import { STUDY_DATASETS } from '../src/apps/study.js';
import { resolveConfig } from '../src/train/config.js';
import { type StepSpec } from './step/ours.js';
import { type PairedSpec } from './pretrain-paired.js';
import { median, round } from './stats.js';
import { compiledBenchScript } from './compiled.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONFIG = join(here, '..', 'configs', 'cpu-small.yaml');

// Named by its rendering settings, so a cache of an earlier demo set is not reused.
const DEMO_DATA = join(tmpdir(), `cvrl-bench-demo-${createHash('sha256').update(JSON.stringify(STUDY_DATASETS.hard)).digest('hex').slice(0, 8)}`);
const SKIP = 30; // steps before timing: the first epochs also probe every video once

/** The demo's data set, rendered on first use. */
async function ensureDemoData(): Promise<void> {
  if (!existsSync(join(DEMO_DATA, 'annotations'))) await synthesizeDataset({ out: DEMO_DATA, format: 'ucf101', seed: 0, ...STUDY_DATASETS.hard });
}

/** configs/cpu-small.yaml resolved on the demo's data. */
const demoConfig = () => resolveConfig({ data: DEMO_DATA, format: 'ucf101', out: '-' }, CONFIG);

/** Clips per second of `cvrl pretrain` (cpu-small.yaml on the demo set) from step SKIP to the end, or an error. */
async function timedPretrain(steps: number, flags: string[], env: NodeJS.ProcessEnv): Promise<{ rate: number; waitShare: number } | { error: string }> {
  await ensureDemoData();
  const out = mkdtempSync(join(tmpdir(), 'cvrl-bench-e2e-'));
  try {
    const args = [compiledBenchScript(join(here, 'cli.ts')), 'pretrain', '--config', CONFIG, '--data', DEMO_DATA, '--format', 'ucf101', '--annotations', join(DEMO_DATA, 'annotations'), '--split', '1',
      '--out', out, '--steps', String(steps), '--checkpoint-every', String(steps), '--quiet', ...flags];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    if (r.status !== 0) return { error: (r.stderr || 'failed').trim().split('\n').pop()! };
    const c = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { config: { clipsPerVideo: number; batch: number }; resolved: { worldSize: number } };
    const clipsPerStep = c.config.clipsPerVideo * c.config.batch * c.resolved.worldSize;
    const m = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; time: number; data_wait_s: number; compute_s: number });
    const a = m.find((x) => x.step === SKIP)!, b = m.at(-1)!;
    const waited = b.data_wait_s - a.data_wait_s;
    return { rate: ((b.step - a.step) * clipsPerStep) / (b.time - a.time), waitShare: waited / (waited + b.compute_s - a.compute_s) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Clips per second of the demo's training step on clips already in memory (bench/step/ours.ts `recipe`, mean step), or an error. */
function computeOnly(o: { quick: boolean; threads: number; precision: 'fp32' | 'bf16'; env: NodeJS.ProcessEnv }): { rate: number } | { error: string } {
  const c = demoConfig();
  const spec: StepSpec = { mode: 'recipe', config: CONFIG, arch: c.arch, batch: c.batch, frames: c.frames, size: c.size, precision: o.precision, threads: o.threads, warmup: 2, reps: o.quick ? 6 : 12, head: [c.headHidden, c.headOut] };
  const r = spawnSync(process.execPath, [compiledBenchScript(join(here, 'step', 'ours.ts')), JSON.stringify(spec)], { encoding: 'utf8', env: o.env });
  if (r.status !== 0) return { error: (r.stderr || 'failed').trim().split('\n').pop()! };
  // The mean step, as the end-to-end rate is steps over the window's time (a median would leave out the slow steps on this side only).
  const ms = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number[] }).ms;
  return { rate: (c.clipsPerVideo * c.batch * 1000 * ms.length) / ms.reduce((x, y) => x + y, 0) };
}

/**
 * End to end against compute only, alternating the two `rounds` times (this machine's speed drifts
 * by more than the 5% the ratio must resolve); ratio of the medians.
 */
export async function pretrainCase(o: { quick: boolean; rounds: number; threads: number; precision: 'fp32' | 'bf16'; env: NodeJS.ProcessEnv }): Promise<Record<string, unknown>> {
  const name = `load: demo pre-training end to end vs compute only, ${o.precision}`;
  const steps = o.quick ? 60 : 150;
  const e2e: { rate: number; waitShare: number }[] = [], compute: number[] = [];
  for (let i = 0; i < o.rounds * 2; i++) {
    // Alternate which side goes first in each round, as the PyTorch cases do.
    if ((i + Math.floor(i / 2)) % 2 === 0) {
      const e = await timedPretrain(steps, ['--precision', o.precision, '--threads', String(o.threads)], o.env);
      if ('error' in e) return { name, unit: 'clips/s', error: e.error };
      e2e.push(e);
    } else {
      const c = computeOnly(o);
      if ('error' in c) return { name, unit: 'clips/s', error: c.error };
      compute.push(c.rate);
    }
  }
  const ours = median(e2e.map((x) => x.rate)), ref = median(compute);
  return {
    name, unit: 'clips/s', ours: round(ours, 1), reference: round(ref, 1), ratio: round(ours / ref), reference_is: 'cvrl compute-only (clips in memory)',
    ours_runs: e2e.map((x) => round(x.rate, 1)), reference_runs: compute.map((x) => round(x, 1)), data_wait_share: round(median(e2e.map((x) => x.waitShare)), 3), steps,
  };
}

export const WORLD_SIZE_CASE = 'train: demo pre-training, 2 processes x 1 thread vs 1 process x 2 threads, fp32';

/**
 * 2 processes x 1 thread (global batch kept) against 1 process x 2 threads, demo pre-training in fp32.
 * oneByTwo: the 1 x 2 rate when this run already measured it (the fp32 end-to-end case, 2 threads).
 */
export async function worldSizeCase(o: { quick: boolean; env: NodeJS.ProcessEnv; oneByTwo?: number }): Promise<Record<string, unknown>> {
  const name = WORLD_SIZE_CASE;
  const steps = o.quick ? 60 : 150;
  const batch = demoConfig().batch;
  const two = await timedPretrain(steps, ['--precision', 'fp32', '--threads', '2', '--nproc', '2', '--batch', String(batch / 2)], o.env);
  const one = o.oneByTwo !== undefined ? { rate: o.oneByTwo } : await timedPretrain(steps, ['--precision', 'fp32', '--threads', '2'], o.env);
  if ('error' in two) return { name, unit: 'clips/s', error: two.error };
  if ('error' in one) return { name, unit: 'clips/s', error: one.error };
  return { name, unit: 'clips/s', ours: round(two.rate, 1), reference: round(one.rate, 1), ratio: round(two.rate / one.rate), reference_is: 'cvrl, 1 process x 2 threads', steps };
}

/** The paired cases' names: per precision, then bf16 against fp32 when both run. */
export function pairedCaseNames(precisions: ('fp32' | 'bf16')[]): string[] {
  return [...precisions.map((p) => `load: demo pre-training fed by the loader vs from memory, one process, ${p}`),
    ...(precisions.length === 2 ? ['train: demo pre-training bf16 vs fp32, fed by the loader, one process'] : [])];
}

/** Quartiles of the per-round ratios: min, first quartile, median, third quartile, max. */
function spread(xs: number[]): number[] {
  const s = [...xs].sort((x, y) => x - y), at = (q: number) => s[Math.round(q * (s.length - 1))];
  return [s[0], at(0.25), median(s), at(0.75), s.at(-1)!].map((x) => round(x, 3));
}

/**
 * The paired cases: per precision, steps fed by the loader against the same steps on a batch in
 * memory (ratio: the loader-fed rate over the in-memory rate); with both precisions, bf16 against
 * fp32 with the loader (ratio: bf16's rate over fp32's). Each ratio is the median over rounds of
 * the ratio of the two arms' blocks in that round.
 */
export async function pairedCases(o: { rounds: number; threads: number; precisions: ('fp32' | 'bf16')[]; env: NodeJS.ProcessEnv }): Promise<Record<string, unknown>[]> {
  const names = pairedCaseNames(o.precisions);
  await ensureDemoData();
  const spec: PairedSpec = { config: CONFIG, data: DEMO_DATA, precisions: o.precisions, threads: o.threads, warmup: SKIP, rounds: o.rounds, blockSteps: 9, settle: 3 };
  const r = spawnSync(process.execPath, [compiledBenchScript(join(here, 'pretrain-paired.ts')), JSON.stringify(spec)], { encoding: 'utf8', env: o.env });
  if (r.status !== 0) return names.map((name) => ({ name, unit: 'clips/s', error: (r.stderr || 'failed').trim().split('\n').pop()! }));
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { arms: { feed: string; precision: string; block_ms: number[] }[]; wait_ms_per_step: number; augment_on: string };
  const ms = (feed: string, precision: string) => out.arms.find((a) => a.feed === feed && a.precision === precision)!.block_ms;
  const c = demoConfig(), clipsPerStep = c.clipsPerVideo * c.batch;
  const row = (name: string, a: number[], b: number[], referenceIs: string) => {
    const ratios = a.map((x, i) => b[i] / x);
    return { name, unit: 'clips/s', ours: round((clipsPerStep * 1000) / median(a), 1), reference: round((clipsPerStep * 1000) / median(b), 1), ratio: round(median(ratios), 3),
      reference_is: referenceIs, round_ratios_quartiles: spread(ratios), rounds: o.rounds, steps_per_block: spec.blockSteps };
  };
  const rows: Record<string, unknown>[] = o.precisions.map((p, i) => ({
    ...row(names[i], ms('loader', p), ms('memory', p), `the same steps on a batch in memory, in alternating blocks`),
    data_wait_ms_per_step: round(out.wait_ms_per_step, 2),
    augment_on: out.augment_on,
  }));
  if (names.length === 3) rows.push(row(names[2], ms('loader', 'bf16'), ms('loader', 'fp32'), 'fp32 steps fed by the loader, in alternating blocks'));
  return rows;
}
