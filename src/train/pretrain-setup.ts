/**
 * Everything pre-training decides before its first step: the model, optimiser and schedule from
 * the config, where the run starts (fresh, or a validated resume), config.json, and scene groups.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hostname, cpus } from 'node:os';
import { setRngState, info } from '../torch/runtime.js';
import { resolvePrecision } from '../torch/precision.js';
import { resolveDevice } from '../torch/device.js';
import { createModel } from '../models/registry.js';
import { type ModelSpec } from '../models/checkpoint.js';
import { CvrlModel } from '../ssl/cvrl-model.js';
import { PSEUDO_MOTIONS } from '../video/pseudo-motion.js';
import { SGD } from '../optim/sgd.js';
import { LARS } from '../optim/lars.js';
import { weightDecayGroups } from '../optim/groups.js';
import { LrSchedule } from '../optim/schedule.js';
import { type Optimizer } from '../optim/optimizer.js';
import { type VideoDataset } from '../video/dataset.js';
import { sceneDescriptors, balancedGroups } from '../video/scene-groups.js';
import { type PretrainConfig, PretrainConfigSchema } from './config.js';
import { loadTrainCheckpoint, type TrainState } from './run-checkpoint.js';
import { completeCheckpoints, removeStaleTemporaries } from './run-files.js';
import { type Progress } from './progress.js';
import { type RankFact } from './distributed.js';
import { augmentOnFor } from '../video/loader-options.js';

export interface Training {
  spec: ModelSpec;
  model: CvrlModel;
  opt: Optimizer<{ lr: number }>;
  schedule: LrSchedule;
  /** Learning rate after linear scaling with the effective batch (batch x accumulate x world size). */
  lr: number;
  effectiveBatch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** The config's precision resolved for this machine ('auto' decided). */
  precision: 'fp32' | 'bf16';
  /** Where the model runs: 'cpu' or 'cuda:N'. */
  device: string;
}

export function buildTraining(c: PretrainConfig, worldSize: number, videos: number, localRank = 0): Training {
  const device = resolveDevice(c.device, localRank);
  const spec: ModelSpec = { arch: c.arch, overrides: { ...(c.width !== undefined ? { width: c.width } : {}), ...(c.input !== 'rgb' ? { input: c.input } : {}) } };
  const model = new CvrlModel(createModel(c.arch, { ...spec.overrides, numClasses: 0 }), { hiddenDim: c.headHidden, outDim: c.headOut, hiddenLayers: c.headLayers }, c.pseudoMotion > 0 ? PSEUDO_MOTIONS.length : 0);
  model.train();
  model.to(device);
  const effectiveBatch = c.batch * c.accumulate * worldSize;
  const lr = (c.lr * effectiveBatch) / c.lrBatch;
  const groups = weightDecayGroups<{ lr: number }>(model.namedParameters(), c.weightDecay);
  const opt: Optimizer<{ lr: number }> = c.optimizer === 'lars'
    ? new LARS(groups, { lr, momentum: c.momentum })
    : new SGD(groups, { lr, momentum: c.momentum });
  // Each rank's shard has ceil(videos / worldSize) positions (the loader pads the last round).
  const perRank = Math.ceil(videos / worldSize);
  const stepsPerEpoch = Math.floor(Math.floor(perRank / c.batch) / c.accumulate);
  if (stepsPerEpoch < 1) throw new Error(`dataset has ${videos} videos: fewer than one step of batch ${c.batch} x accumulate ${c.accumulate}${worldSize > 1 ? ` x ${worldSize} ranks` : ''}`);
  const totalSteps = Math.min(c.steps ?? Infinity, c.epochs * stepsPerEpoch);
  const schedule = new LrSchedule({ kind: 'warmup-cosine', lr, warmupSteps: Math.min(totalSteps, Math.round(c.warmupEpochs * stepsPerEpoch)), totalSteps });
  return { spec, model, opt, schedule, lr, effectiveBatch, stepsPerEpoch, totalSteps, precision: resolvePrecision(c.precision, undefined, device), device };
}

/** Keys whose change makes a checkpoint's data position meaningless (other data, order or batching). */
const POSITION_KEYS = ['data', 'format', 'annotations', 'split', 'seed', 'accumulate', 'frames', 'stride', 'sceneBatches'] as const;

/**
 * Why a checkpoint cannot continue with this config and world size (empty: it can). The world size
 * may change when the global batch (batch x world size) stays: step k then takes the same videos of
 * the epoch's permutation whatever the world size (rank r holds its positions r, r + W, ...), so the
 * learning rate, schedule and data position carry over; BatchNorm statistics and augmentation draws
 * follow the new ranks.
 */
export function resumeConflicts(before: Partial<PretrainConfig>, worldBefore: number, c: PretrainConfig, worldSize: number, t: Training, videos: number): string[] {
  const diffs = POSITION_KEYS.filter((k) => before[k] !== c[k]).map((k) => `${k} (${JSON.stringify(before[k])} -> ${JSON.stringify(c[k])})`);
  const globalBefore = (before.batch ?? c.batch) * worldBefore, globalNow = c.batch * worldSize;
  if (globalBefore !== globalNow) {
    const keep = globalBefore % worldSize === 0 ? `; on ${worldSize} process(es) pass --batch ${globalBefore / worldSize}` : '';
    const what = worldBefore === worldSize ? `batch (${before.batch} -> ${c.batch})` : `global batch (batch x world size: ${before.batch} x ${worldBefore} -> ${c.batch} x ${worldSize})`;
    diffs.push(`${what}: the global batch must stay ${globalBefore}${keep}`);
  } else if (worldBefore !== worldSize) {
    const stepsBefore = Math.floor(Math.floor(Math.ceil(videos / worldBefore) / (before.batch ?? c.batch)) / c.accumulate);
    if (stepsBefore !== t.stepsPerEpoch) diffs.push(`world size (${worldBefore} -> ${worldSize}): ${videos} videos make ${stepsBefore} steps per epoch on ${worldBefore} rank(s) but ${t.stepsPerEpoch} on ${worldSize}`);
  }
  return diffs;
}

/** The run's starting position: step 0, or the latest checkpoint's (weights, optimiser and RNG restored). */
export function startPosition(t: Training, c: PretrainConfig, o: { runDir: string; resume?: boolean; main: boolean; worldSize: number; videos: number }): TrainState {
  const fresh: TrainState = { step: 0, epoch: 0, batchInEpoch: 0, scheduleStep: 0, optimizer: t.opt.stateDict().meta, config: c, lastLoss: NaN, worldSize: o.worldSize };
  if (o.main) removeStaleTemporaries(o.runDir);
  const complete = completeCheckpoints(o.runDir).length > 0;
  if (!o.resume) {
    if (complete) throw new Error(`${o.runDir} already has checkpoints: pass --resume to continue it, or choose another --out`);
    return fresh;
  }
  if (!complete) throw new Error(`${o.runDir}: nothing to resume: checkpoints/ holds no complete checkpoint (the run stopped before its first one); start it afresh without --resume`);
  const ck = loadTrainCheckpoint(o.runDir);
  t.model.encoder.loadStateDict(ck.encoder);
  t.model.head.loadStateDict(ck.head);
  if (t.model.motionHead) {
    if (ck.motionHead.size === 0) throw new Error(`${ck.file}: the run was trained without pseudoMotion; it cannot be resumed with it`);
    t.model.motionHead.loadStateDict(ck.motionHead);
  }
  t.opt.loadStateDict(ck.optimizer);
  t.schedule.loadState({ step: ck.state.scheduleStep });
  if (ck.rng) setRngState(ck.rng);
  const diffs = resumeConflicts(ck.state.config as Partial<PretrainConfig>, ck.state.worldSize ?? 1, c, o.worldSize, t, o.videos);
  if (diffs.length) throw new Error(`${ck.file}: cannot resume with a different ${diffs.join(', ')}`);
  return { ...ck.state, config: c, worldSize: o.worldSize };
}

/** The loader's augmentOn for a config; compute threads: this process's times the machine's training processes (LOCAL_WORLD_SIZE). */
export function pretrainAugmentOn(c: PretrainConfig, env: NodeJS.ProcessEnv = process.env): 'workers' | 'step' {
  return augmentOnFor(c.augmentOn, c.device, c.threads * (Number(env.LOCAL_WORLD_SIZE) || 1));
}

export function writeRunConfig(runDir: string, c: PretrainConfig, t: Training, worldSize: number, dataset: VideoDataset): void {
  writeFileSync(join(runDir, 'config.json'), JSON.stringify({
    config: c, resolved: { effectiveBatch: t.effectiveBatch, worldSize, perRankBatch: c.batch, lr: t.lr, stepsPerEpoch: t.stepsPerEpoch, totalSteps: t.totalSteps, precision: t.precision, device: t.device, augmentOn: pretrainAugmentOn(c), videos: dataset.items.length, classes: dataset.classes },
    environment: { node: process.version, host: hostname(), cpus: cpus().length, worldSize, torch: (({ buildConfig, ...rest }) => rest)(info()) },
  }, null, 2));
}

/** Groups of similar-looking videos, `size` each, for scene batches (see scene-groups.ts); rank 0 lists them in scene-groups.json. */
export async function sceneBatchGroups(dataset: VideoDataset, size: number, parallelism: number, progress: Progress, file: string | null): Promise<number[]> {
  progress.message(`scene batches: describing ${dataset.items.length} videos`);
  const desc = await sceneDescriptors(dataset, { parallelism });
  const groups = balancedGroups(desc, size);
  progress.message(`scene batches: ${new Set(groups).size} groups of ${size} videos`);
  if (file) writeFileSync(file, JSON.stringify({ size, groups: dataset.items.map((it, i) => ({ path: it.path, group: groups[i] })) }, null, 1));
  return groups;
}

/** Config keys that may differ between ranks: where each rank writes, reads from, and how many threads it uses. */
const PER_RANK_KEYS = new Set(['out', 'data', 'annotations', 'threads', 'parallelism', 'prefetch', 'frameCacheMb']);

/** What every rank of one run must share (sameOnAllRanks): the recipe, the data (by content, not by path) and the start. */
export function runFacts(c: PretrainConfig, dataset: VideoDataset, step: number): RankFact[] {
  const list = dataset.items.map((it) => `${relative(dataset.root, it.path)}\t${it.label}`).join('\n');
  return [
    { name: 'the number of videos', value: dataset.items.length },
    { name: 'the number of classes', value: dataset.classes.length },
    { name: 'the video list (paths under --data and labels)', value: list },
    { name: 'the resumed step', value: step },
    ...Object.keys(PretrainConfigSchema.shape).sort().filter((k) => !PER_RANK_KEYS.has(k)).map((k) => ({ name: `config key ${k}`, value: JSON.stringify(c[k as keyof PretrainConfig]) ?? 'undefined' })),
  ];
}
