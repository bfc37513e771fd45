/**
 * The loader case of `npm run bench`: demo pre-training end to end (`cvrl pretrain` with
 * configs/cpu-small.yaml on the demo's synthetic set: decode, augment, pseudo-motion, step) against
 * the same step on clips already in memory (bench/step/ours.ts `recipe`). ratio = end-to-end rate
 * over compute-only rate: 1 means loading costs nothing. No PyTorch reference: this is cvrl's
 * pipeline against itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { synthesizeDataset } from '../src/video/synth.js';
import { STUDY_DATASETS } from '../src/apps/study.js';
import { resolveConfig } from '../src/train/config.js';
import { type StepSpec } from './step/ours.js';
import { median, round } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONFIG = join(here, '..', 'configs', 'cpu-small.yaml');

export async function pretrainCase(o: { quick: boolean; threads: number; precision: 'fp32' | 'bf16'; env: NodeJS.ProcessEnv }): Promise<Record<string, unknown>> {
  const name = `load: demo pre-training end to end vs compute only, ${o.precision}`;
  const data = join(tmpdir(), 'cvrl-bench-demo-data');
  if (!existsSync(join(data, 'annotations'))) await synthesizeDataset({ out: data, format: 'ucf101', seed: 0, ...STUDY_DATASETS.demo });
  const out = mkdtempSync(join(tmpdir(), 'cvrl-bench-e2e-'));
  // Timed from step 30: the first epoch (20 steps on this data) also probes every video once.
  const steps = o.quick ? 60 : 150, skip = 30;
  const c = resolveConfig({ data, format: 'ucf101', out }, CONFIG);
  const clipsPerStep = c.clipsPerVideo * c.batch;
  try {
    const args = [join(here, 'cli.ts'), 'pretrain', '--config', CONFIG, '--data', data, '--format', 'ucf101', '--annotations', join(data, 'annotations'), '--split', '1',
      '--out', out, '--steps', String(steps), '--precision', o.precision, '--threads', String(o.threads), '--checkpoint-every', String(steps), '--quiet'];
    const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', env: o.env });
    if (r.status !== 0) return { name, unit: 'clips/s', error: (r.stderr || 'failed').trim().split('\n').pop() };
    const m = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; time: number; clips_per_s: number; data_wait_share: number });
    const a = m.find((x) => x.step === skip)!, b = m.at(-1)!;
    const e2e = ((b.step - a.step) * clipsPerStep) / (b.time - a.time);
    const spec: StepSpec = { mode: 'recipe', config: CONFIG, arch: c.arch, batch: c.batch, frames: c.frames, size: c.size, precision: o.precision, threads: o.threads, warmup: 2, reps: o.quick ? 6 : 12, head: [c.headHidden, c.headOut] };
    const r2 = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'step', 'ours.ts'), JSON.stringify(spec)], { encoding: 'utf8', env: o.env });
    if (r2.status !== 0) return { name, unit: 'clips/s', error: (r2.stderr || 'failed').trim().split('\n').pop() };
    const compute = (clipsPerStep * 1000) / median((JSON.parse(r2.stdout.trim().split('\n').pop()!) as { ms: number[] }).ms);
    return { name, unit: 'clips/s', ours: round(e2e, 1), reference: round(compute, 1), ratio: round(e2e / compute), reference_is: 'cvrl compute-only (clips in memory)', data_wait_share: round(b.data_wait_share, 3), steps };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
