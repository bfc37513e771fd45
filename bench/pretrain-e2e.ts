/**
 * The loader case of `npm run bench`: demo pre-training end to end (`cvrl pretrain` with
 * configs/cpu-small.yaml on the demo's synthetic set: decode, augment, pseudo-motion, step) against
 * the same step on clips already in memory (bench/step/ours.ts `recipe`). ratio = end-to-end rate
 * over compute-only rate: 1 means loading costs nothing. No PyTorch reference: this is cvrl's
 * pipeline against itself. Also the world-size case: the same run on 2 processes x 1 thread
 * against 1 process x 2 threads, with the same global batch.
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
import { median, round } from './stats.js';
import { compiledBenchScript } from './compiled.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONFIG = join(here, '..', 'configs', 'cpu-small.yaml');

// Named by its rendering settings, so a cache of an earlier demo set is not reused.
const DEMO_DATA = join(tmpdir(), `cvrl-bench-demo-${createHash('sha256').update(JSON.stringify(STUDY_DATASETS.hard)).digest('hex').slice(0, 8)}`);
const SKIP = 30; // steps before timing: the first epochs also probe every video once

/** Clips per second of `cvrl pretrain` (cpu-small.yaml on the demo set) from step SKIP to the end, or an error. */
async function timedPretrain(steps: number, flags: string[], env: NodeJS.ProcessEnv): Promise<{ rate: number; waitShare: number } | { error: string }> {
  if (!existsSync(join(DEMO_DATA, 'annotations'))) await synthesizeDataset({ out: DEMO_DATA, format: 'ucf101', seed: 0, ...STUDY_DATASETS.hard });
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

/** Clips per second of the demo's training step on clips already in memory (bench/step/ours.ts `recipe`), or an error. */
function computeOnly(o: { quick: boolean; threads: number; precision: 'fp32' | 'bf16'; env: NodeJS.ProcessEnv }): { rate: number } | { error: string } {
  const c = resolveConfig({ data: DEMO_DATA, format: 'ucf101', out: '-' }, CONFIG);
  const spec: StepSpec = { mode: 'recipe', config: CONFIG, arch: c.arch, batch: c.batch, frames: c.frames, size: c.size, precision: o.precision, threads: o.threads, warmup: 2, reps: o.quick ? 6 : 12, head: [c.headHidden, c.headOut] };
  const r = spawnSync(process.execPath, [compiledBenchScript(join(here, 'step', 'ours.ts')), JSON.stringify(spec)], { encoding: 'utf8', env: o.env });
  if (r.status !== 0) return { error: (r.stderr || 'failed').trim().split('\n').pop()! };
  return { rate: (c.clipsPerVideo * c.batch * 1000) / median((JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number[] }).ms) };
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
  const batch = resolveConfig({ data: DEMO_DATA, format: 'ucf101', out: '-' }, CONFIG).batch;
  const two = await timedPretrain(steps, ['--precision', 'fp32', '--threads', '2', '--nproc', '2', '--batch', String(batch / 2)], o.env);
  const one = o.oneByTwo !== undefined ? { rate: o.oneByTwo } : await timedPretrain(steps, ['--precision', 'fp32', '--threads', '2'], o.env);
  if ('error' in two) return { name, unit: 'clips/s', error: two.error };
  if ('error' in one) return { name, unit: 'clips/s', error: one.error };
  return { name, unit: 'clips/s', ours: round(two.rate, 1), reference: round(one.rate, 1), ratio: round(two.rate / one.rate), reference_is: 'cvrl, 1 process x 2 threads', steps };
}
