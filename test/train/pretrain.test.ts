// Pre-training: runs, resumes after SIGKILL with identical losses, checkpoints on SIGTERM, validates config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { synthesizeDataset } from '../../src/video/index.js';
import { resolvePrecision } from '../../src/torch/precision.js';
import { resolveConfig } from '../../src/train/config.js';
import { pretrain, pseudoMotionWeight } from '../../src/train/pretrain.js';
import { loadTrainCheckpoint } from '../../src/train/run-checkpoint.js';
import { pretrainAugmentOn } from '../../src/train/pretrain-setup.js';
import { augmentOnFor } from '../../src/video/loader-options.js';
import { tempDir } from '../helpers/python.js';

const root = tempDir('cvrl-pretrain-');
const data = join(root, 'data');
const base = { data, format: 'ucf101', annotations: join(data, 'annotations'), arch: 'r3d_18_tiny', frames: 4, stride: 2, size: 32, batch: 4, threads: 1, parallelism: 2, headHidden: 64, headOut: 32, lr: 8, steps: 8, checkpointEvery: 2, logEvery: 1, seed: 3 };

function losses(runDir: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')) {
    const r = JSON.parse(line) as { step: number; loss: number };
    m.set(r.step, r.loss);
  }
  return m;
}

function cli(args: string[]) {
  return spawn(process.execPath, ['bin/cvrl.js', 'pretrain', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const flags = (o: Record<string, unknown>) => Object.entries(o).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`)}`, String(v)]);

async function waitForStep(runDir: string, step: number, child: ReturnType<typeof spawn>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`pretrain exited early with ${child.exitCode}`);
    if (existsSync(join(runDir, 'metrics.jsonl')) && Math.max(...losses(runDir).keys()) >= step) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for training steps');
}

test('pre-training runs, logs and checkpoints; the first loss is not below chance level 2 ln(2N - 1)', async () => {
  await synthesizeDataset({ out: data, format: 'ucf101', classes: 3, videosPerClass: 8, frames: 16, size: 40 });
  const r = await pretrain({ config: resolveConfig({ ...base, out: join(root, 'a') }), quiet: true });
  assert.equal(r.steps, 8);
  assert.ok(!r.interrupted);
  const l = losses(r.runDir);
  assert.equal(l.size, 8);
  // Untrained projections are not orthogonal here (tiny head, look-alike clips), so the first loss
  // may sit above 2 ln(2N - 1) but an untrained model cannot do much better than chance.
  assert.ok(Number.isFinite(l.get(1)!) && l.get(1)! > 2 * Math.log(2 * 4 - 1) - 1, `first loss ${l.get(1)}`);
  const meta = JSON.parse(readFileSync(join(r.runDir, 'config.json'), 'utf8')) as { config: { precision: string }; resolved: { precision: string; augmentOn: string } };
  assert.equal(meta.config.precision, 'auto');
  assert.equal(meta.resolved.precision, resolvePrecision('auto'), 'config.json records what auto chose on this CPU');
  assert.equal(meta.resolved.augmentOn, availableParallelism() > 1 ? 'workers' : 'step', 'config.json records where auto put the augmentation (1 compute thread: workers wherever a core is spare)');
  const ck = loadTrainCheckpoint(r.runDir);
  assert.equal(ck.state.step, 8);
  assert.ok(ck.encoder.has('stem.0.weight') && ck.head.has('mlp.0.weight'));
});

test('a run killed with SIGKILL resumes with the same losses as the uninterrupted run', async () => {
  const reference = losses(join(root, 'a'));
  const runDir = join(root, 'b');
  const child = cli([...flags({ ...base, out: runDir }), '--quiet']);
  await waitForStep(runDir, 5, child);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const resumedFrom = loadTrainCheckpoint(runDir).state.step;
  assert.ok(resumedFrom >= 4 && resumedFrom < 8, `checkpoint at step ${resumedFrom}`);
  const again = cli([...flags({ ...base, out: runDir }), '--resume', '--quiet']);
  const code = await new Promise((r) => again.on('exit', r));
  assert.equal(code, 0);
  const after = losses(runDir);
  for (let s = resumedFrom + 1; s <= 8; s++) assert.equal(after.get(s), reference.get(s), `step ${s}`);
});

/** An interrupted run exits with 130 after checkpointing the last step it logged, before its end. */
async function assertCheckpointedOnExit(runDir: string, child: ReturnType<typeof spawn>, totalSteps: number): Promise<void> {
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 130);
  const ck = loadTrainCheckpoint(runDir);
  assert.equal(ck.state.step, Math.max(...losses(runDir).keys()));
  assert.ok(ck.state.step < totalSteps);
}

test('SIGTERM writes a checkpoint at the current step before exiting', async () => {
  const runDir = join(root, 'c');
  const child = cli([...flags({ ...base, out: runDir, checkpointEvery: 100 }), '--quiet']);
  await waitForStep(runDir, 2, child);
  child.kill('SIGTERM');
  await assertCheckpointedOnExit(runDir, child, 8);
});

test('Ctrl-C in a terminal (SIGINT to the whole process group, through the jemalloc launcher) checkpoints once and exits 130', async () => {
  const runDir = join(root, 'd');
  const env = { ...process.env, LD_PRELOAD: '' }; // bin/cvrl.js re-executes itself under jemalloc, as for a user
  const child = spawn(process.execPath, ['bin/cvrl.js', 'pretrain', ...flags({ ...base, out: runDir, checkpointEvery: 100, steps: 50 }), '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  await waitForStep(runDir, 2, child);
  process.kill(-child.pid!, 'SIGINT');
  await assertCheckpointedOnExit(runDir, child, 50);
});

test('a failed checkpoint write leaves the previous checkpoint loadable; a finished run refuses to restart', async () => {
  const runDir = join(root, 'a');
  const before = loadTrainCheckpoint(runDir);
  // Block the temporary file of the next write.
  mkdirSync(join(runDir, 'checkpoints', `step-00000009.safetensors.tmp-${process.pid}`));
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, out: runDir, steps: 9 }), resume: true, quiet: true }));
  assert.equal(loadTrainCheckpoint(runDir).state.step, before.state.step);
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, out: runDir }), quiet: true }), /already has checkpoints: pass --resume/);
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, out: runDir, batch: 5, steps: 12 }), resume: true, quiet: true }), /cannot resume with a different batch \(4 -> 5\)/);
});

test('config: unknown and out-of-range keys are named; YAML files and flags merge', () => {
  assert.throws(() => resolveConfig({ ...base, out: 'x', batchsize: 3 }), /unknown key\(s\) 'batchsize'/);
  assert.throws(() => resolveConfig({ ...base, out: 'x', batch: 1 }), /'batch': Number must be greater than or equal to 2/);
  assert.throws(() => resolveConfig({ ...base, out: 'x', format: 'mp4' }), /'format': Invalid enum value/);
  const f = join(root, 'c.yaml');
  writeFileSync(f, 'batch: 6\nlr: 0.5\nepochs: 2\n');
  const c = resolveConfig({ data, format: 'folder', out: 'x', lr: 0.1 }, f);
  assert.equal(c.batch, 6);
  assert.equal(c.lr, 0.1, 'flags override the file');
  writeFileSync(f, 'batch: [1, 2\n');
  assert.throws(() => resolveConfig({ data, format: 'folder', out: 'x' }, f), /invalid YAML/);
  assert.throws(() => resolveConfig({ data, format: 'folder', out: 'x' }, join(root, 'missing.yaml')), /config file .* not found/);
});

test('motion options and online kNN: rho 3 clips, diff input, erasing, hard negatives, decorrelation train; knn_top1 lands in metrics.jsonl every K steps', async () => {
  const calls: number[] = [];
  const monitor = async (encoder: { training: boolean; config: { input?: string } }) => {
    calls.push(calls.length);
    assert.equal(encoder.config.input, 'diff', 'the monitored encoder is the trained one');
    return { knn_top1: 42 };
  };
  const cfg = resolveConfig({ ...base, steps: 4, out: join(root, 'motion'), input: 'diff', clipsPerVideo: 3, bgEraseProb: 0.5, bgEraseMix: true, staticNegatives: true, reverseNegatives: true, shuffleNegatives: true, decorrelation: 0.5, sceneBatches: 2, pseudoMotion: 0.5, pseudoMotionSchedule: 'linear', knnEvery: 2 });
  const r = await pretrain({ config: cfg, quiet: true, monitor });
  assert.equal(r.steps, 4);
  assert.equal(calls.length, 2);
  type Line = { step: number; knn_top1?: number; loss: number; loss_ntxent: number; loss_decorrelation: number; loss_pseudo_motion: number };
  const lines = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.filter((l) => l.knn_top1 === 42).map((l) => l.step), [2, 4]);
  assert.ok(lines.every((l) => Number.isFinite(l.loss)));
  // The total is NT-Xent plus the weighted terms; each term is logged unweighted. The linear
  // schedule weighs the pseudo-motion term 0.5 x (1 - s / 4) at step s (0-based; the line's step is s + 1).
  for (const l of lines) assert.ok(Math.abs(l.loss - (l.loss_ntxent + 0.5 * l.loss_decorrelation + 0.5 * (1 - (l.step - 1) / 4) * l.loss_pseudo_motion)) < 1e-3, JSON.stringify(l));
  const meta = JSON.parse(readFileSync(join(r.runDir, 'config.json'), 'utf8')) as { config: { input: string } };
  assert.equal(meta.config.input, 'diff');
  // Scene batches: groups of batch / sceneBatches similar-looking videos, listed for inspection.
  const scenes = JSON.parse(readFileSync(join(r.runDir, 'scene-groups.json'), 'utf8')) as { size: number; groups: { group: number }[] };
  assert.equal(scenes.size, 2);
  const counts = scenes.groups.reduce((m, g) => m.set(g.group, (m.get(g.group) ?? 0) + 1), new Map<number, number>());
  assert.ok([...counts.values()].every((n) => n <= 2) && [...counts.values()].filter((n) => n < 2).length <= 1);
});

test('a pseudoMotion run resumes with its motion head: the step after the resume has the uninterrupted run\'s loss', async () => {
  const motion = { ...base, steps: 3, pseudoMotion: 1 };
  const whole = await pretrain({ config: resolveConfig({ ...motion, out: join(root, 'pm-whole') }), quiet: true });
  const runDir = join(root, 'pm-resumed');
  await pretrain({ config: resolveConfig({ ...motion, out: runDir }), quiet: true, stopAfter: 2 });
  assert.ok(loadTrainCheckpoint(runDir).motionHead.has('weight'), 'the checkpoint holds motionHead.*');
  await pretrain({ config: resolveConfig({ ...motion, out: runDir }), resume: true, quiet: true });
  assert.equal(losses(runDir).get(3), losses(whole.runDir).get(3));
  // A run trained without the head cannot gain one on resume.
  await assert.rejects(pretrain({ config: resolveConfig({ ...base, steps: 9, pseudoMotion: 1, out: join(root, 'a') }), resume: true, quiet: true }), /trained without pseudoMotion; it cannot be resumed with it/);
});

test('pseudo-motion schedules: constant, or falling linearly to 0 over the run', () => {
  const w = (schedule: 'constant' | 'linear') => [0, 100, 200, 399].map((s) => Number(pseudoMotionWeight({ pseudoMotion: 4, pseudoMotionSchedule: schedule }, s, 400).toFixed(9)));
  assert.deepEqual(w('constant'), [4, 4, 4, 4]);
  assert.deepEqual(w('linear'), [4, 3, 2, 0.01]);
});

test("pre-training's augmentOn counts the compute threads of every local process", () => {
  const c = resolveConfig({ data: '-', format: 'folder', out: '-', threads: 2 });
  assert.equal(pretrainAugmentOn(c, {}), augmentOnFor('auto', 'cpu', 2));
  assert.equal(pretrainAugmentOn(c, { LOCAL_WORLD_SIZE: '64' }), 'step');
  assert.equal(pretrainAugmentOn({ ...c, device: 'cuda' }, { LOCAL_WORLD_SIZE: '64' }), 'workers');
  assert.equal(pretrainAugmentOn({ ...c, augmentOn: 'workers' }, { LOCAL_WORLD_SIZE: '64' }), 'workers');
});
