/**
 * CVRL pre-training, top to bottom: data -> two views -> encoder + head -> NT-Xent -> optimiser ->
 * metrics and checkpoints. Resumable: a killed run continues from its latest checkpoint with the
 * same losses as an uninterrupted one (CPU, same threads); SIGINT/SIGTERM checkpoint before exiting.
 *
 * Distributed (WORLD_SIZE > 1 in the environment, or `distributed` given): each rank reads its own
 * shard, the NT-Xent negatives are the global batch, gradients are summed over ranks before every
 * optimiser step, and rank 0 alone writes checkpoints, metrics, TensorBoard events and progress.
 * BatchNorm is per rank unless `syncBn` (then over the global batch, as in the paper). `batch` is
 * per rank; the learning rate scales with batch x accumulate x world size.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { tidy } from '../torch/scope.js';
import { type Tensor } from '../torch/tensor.js';
import { manualSeed, setNumThreads } from '../torch/runtime.js';
import { resolveDevice, toDeviceBatch } from '../torch/device.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { type CvrlModel } from '../ssl/cvrl-model.js';
import { contrastiveLoss } from '../ssl/contrastive-step.js';
import { useSyncBatchNorm } from '../nn/batchnorm.js';
import { pretrainViews } from '../ssl/pretrain-views.js';
import { Rng } from '../video/rng.js';
import { openDataset, type DatasetFormat, type VideoDataset } from '../video/dataset.js';
import { VideoLoader, type LoaderOptions } from '../video/loader.js';
import { VideoCache, frameCacheBytes } from '../video/video-cache.js';
import { type PretrainConfig } from './config.js';
import { saveTrainCheckpoint, checkpointName, type TrainState } from './run-checkpoint.js';
import { initDistributed, startTogether, allReduceGradients, anyRank, parameterDigest as digest, sameDigest, type DistributedContext } from './distributed.js';
import { chanceLoss } from './collapse-watch.js';
import { buildTraining, startPosition, writeRunConfig, sceneBatchGroups, runFacts, pretrainAugmentOn, type Training } from './pretrain-setup.js';
import { RunLog } from './run-log.js';
import { loaderAdvice } from './loader-watch.js';
import { hparamValues } from '../formats/tensorboard.js';
import { StopSignals } from './stop-signals.js';

export interface PretrainOptions {
  config: PretrainConfig;
  /** Continue from the run directory's latest checkpoint. */
  resume?: boolean;
  /** No progress output (metrics files are still written). */
  quiet?: boolean;
  /** Called on rank 0 every `knnEvery` steps and at the end; its values join metrics.jsonl (e.g. eval/knn-monitor's kNN top-1). */
  monitor?: (encoder: ResNet3d) => Promise<Record<string, number>>;
  /** Called once per unreadable video (besides the progress message), e.g. to collect them. */
  onBadVideo?: (path: string, reason: string) => void;
  /** Stop (with a checkpoint) after this many optimiser steps in this process; for tests. */
  stopAfter?: number;
  /**
   * The distributed run to take part in. Default: joined from torchrun's environment variables
   * (initDistributed(); a single process when WORLD_SIZE is unset or 1) and closed at the end.
   */
  distributed?: DistributedContext;
}

export interface PretrainResult {
  runDir: string;
  steps: number;
  finalLoss: number;
  checkpoint: string;
  clipsPerSec: number;
  badVideos: number;
  interrupted: boolean;
  rank: number;
  worldSize: number;
  /** SHA-256 of every parameter's bytes (encoder + head) at the end; equal on all ranks (checked). */
  parameterDigest: string;
}

export class TrainingDiverged extends Error {}

export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const dist = o.distributed ?? await initDistributed(process.env, { device: o.config.device });
  try {
    return await train(o, dist);
  } finally {
    if (!o.distributed) dist.group?.destroy();
  }
}

async function train(o: PretrainOptions, dist: DistributedContext): Promise<PretrainResult> {
  const c = o.config;
  const { group, isMain: main, worldSize } = dist;
  const runDir = resolve(c.out);
  resolveDevice(c.device, dist.localRank); // a device this build or machine lacks fails before any data is read
  setNumThreads(c.threads);
  manualSeed(c.seed);
  const dataset = openDataset({ data: c.data, format: c.format as DatasetFormat, annotations: c.annotations, split: c.split });
  if (main) mkdirSync(runDir, { recursive: true }); // only once the run can start: a mistyped flag leaves no empty folder
  const t = buildTraining(c, worldSize, dataset.items.length, dist.localRank);
  const { model, schedule, totalSteps } = t;
  let pos = startPosition(t, c, { runDir, resume: o.resume, main, worldSize, videos: dataset.items.length });
  if (group) await startTogether(group, model, runFacts(c, dataset, pos.step));
  if (group && c.syncBn) useSyncBatchNorm(model, group);
  if (main) writeRunConfig(runDir, c, t, worldSize, dataset);
  const extraNegatives = (Number(c.staticNegatives) + Number(c.reverseNegatives) + Number(c.shuffleNegatives)) * c.batch * worldSize;
  const log = new RunLog({ runDir, main, quiet: Boolean(o.quiet), logEvery: c.logEvery, resumedAt: pos.step, resumed: Boolean(o.resume), chanceLoss: chanceLoss(c.batch * worldSize, c.clipsPerVideo, extraNegatives), totalSteps, hparams: hparamValues({ ...c, worldSize }),
    loaderAdvice: loaderAdvice(c, availableParallelism(), pretrainAugmentOn(c)) });
  const checkpoints = new Checkpointer(runDir, main, t, c.keepCheckpoints, log);
  const signals = new StopSignals();
  const cache = new VideoCache(frameCacheBytes(c.frameCacheMb));
  const loaderBase = await pretrainLoaderOptions(c, dataset, dist, log, runDir, o.onBadVideo);
  const stepsAtStart = pos.step;
  const stepOptions = { ...c, bf16: t.precision === 'bf16' };
  const why = t.device !== 'cpu' ? 'on a GPU' : t.precision === 'bf16' ? 'this CPU runs bf16 natively' : 'this CPU has no native bf16';
  if (main) log.progress.message(`device: ${t.device}, precision: ${t.precision}${c.precision === 'auto' ? ` (auto: ${why})` : ''}`);
  let badVideos = 0, lossSum = 0, lossCount = 0, partSums: Record<string, number> = {};

  try {
    // One loader for the rest of the run: its prefetch window runs across epoch boundaries.
    const loader = new VideoLoader({ ...loaderBase, epoch: pos.epoch, startBatch: pos.batchInEpoch, epochs: Infinity }, cache);
    let tWait = performance.now();
    for await (const batch of pos.step < totalSteps ? loader : []) { // a finished run resumed takes no step
      const { epoch } = batch;
      if (batch.batchInEpoch >= t.stepsPerEpoch * c.accumulate) { // a last partial accumulation ends no step
        batch.views.forEach((v) => v.dispose());
        tWait = performance.now();
        continue;
      }
      log.waited(performance.now() - tWait);
      const tc = performance.now();
      // The global batch's loss (identical on every rank); gradients reach this rank's rows only.
      const parts: Record<string, number> = {};
      const options = { ...stepOptions, pseudoMotion: pseudoMotionWeight(c, pos.step, totalSteps) };
      const loss = await backwardStep(model, toDeviceBatch(batch.views, t.device), options, Rng.from(c.seed, epoch, batch.batchInEpoch, dist.rank, 0xc0), group, parts);
      for (const [k, v] of Object.entries(parts)) partSums[k] = (partSums[k] ?? 0) + v;
      const b = batch.batchInEpoch + 1;
      if (!Number.isFinite(loss)) {
        throw new TrainingDiverged(`loss became ${loss} at step ${pos.step} (epoch ${epoch}, batch ${b}); the last good checkpoint is ${checkpoints.last || 'none (no checkpoint written yet)'}; lower --lr or check the data`);
      }
      lossSum += loss;
      lossCount++;
      const stepEnds = b % c.accumulate === 0;
      if (stepEnds) await optimizerStep(t, group);
      log.computed(performance.now() - tc, c.clipsPerVideo * c.batch * worldSize);
      if (stepEnds) {
        pos = { ...pos, step: pos.step + 1, epoch, batchInEpoch: b, scheduleStep: schedule.currentStep, lastLoss: lossSum / lossCount };
        const lossParts = Object.fromEntries(Object.entries(partSums).map(([k, v]) => [k, v / lossCount]));
        lossSum = lossCount = 0;
        partSums = {};
        const monitorNow = main && o.monitor && c.knnEvery > 0 && (pos.step % c.knnEvery === 0 || pos.step >= totalSteps);
        const extra = monitorNow ? await o.monitor!(model.encoder) : undefined;
        log.step({ step: pos.step, epoch, loss: pos.lastLoss, parts: lossParts, lr: schedule.lr, badVideos: loader.stats.badVideos, extra });
        // A signal seen by any rank stops every rank at the same step (one tiny all-reduce).
        const stopNow = await anyRank(signals.requested, group) || (o.stopAfter !== undefined && pos.step - stepsAtStart >= o.stopAfter);
        if (pos.step % c.checkpointEvery === 0 || pos.step >= totalSteps || stopNow) checkpoints.save(pos);
        if (stopNow || pos.step >= totalSteps) break;
      }
      tWait = performance.now();
    }
    badVideos = loader.stats.badVideos;
  } finally {
    signals.dispose();
    log.close();
  }
  checkpoints.final(pos);
  const parameterDigest = digest(model.parameters());
  if (group) await sameDigest(group, parameterDigest);
  return { runDir, steps: pos.step, finalLoss: pos.lastLoss, checkpoint: checkpoints.last, clipsPerSec: log.clipsPerSec, badVideos, interrupted: signals.requested || pos.step < totalSteps, rank: dist.rank, worldSize, parameterDigest };
}

/** The loader's settings for every epoch; scene groups are computed once (and saved by rank 0). */
async function pretrainLoaderOptions(c: PretrainConfig, dataset: VideoDataset, dist: DistributedContext, log: RunLog, runDir: string, report?: PretrainOptions['onBadVideo']): Promise<LoaderOptions> {
  const { isMain: main, rank, worldSize } = dist;
  const onBadVideo = (p: string, r: string) => {
    if (main) log.progress.message(`skipping unreadable video ${p}: ${r}`);
    else console.warn(`cvrl (rank ${rank}): skipping unreadable video ${p}: ${r}`);
    report?.(p, r);
  };
  const groups = c.sceneBatches > 0 ? await sceneBatchGroups(dataset, Math.ceil((c.batch * worldSize) / c.sceneBatches), c.parallelism, log.progress, main ? join(runDir, 'scene-groups.json') : null) : undefined;
  return { ...pretrainLoaderBase(c, dataset), groups, rank, worldSize, onBadVideo };
}

/** A config's loader settings for one process, before scene groups and ranks (also bench/pretrain-paired.ts's). */
export function pretrainLoaderBase(c: PretrainConfig, dataset: VideoDataset): LoaderOptions {
  return {
    dataset, mode: 'pretrain', batchSize: c.batch, frames: c.frames, stride: c.stride, size: c.size, decodeShortSide: c.decodeShortSide,
    augment: pretrainViews(c), clipsPerVideo: c.clipsPerVideo, gapLaw: c.gapLaw, gapPower: c.gapPower, seed: c.seed,
    parallelism: c.parallelism, prefetch: c.prefetch, augmentOn: pretrainAugmentOn(c),
  };
}

/** The pseudo-motion loss's weight at optimiser step `step` (0-based) of `total`. */
export function pseudoMotionWeight(c: Pick<PretrainConfig, 'pseudoMotion' | 'pseudoMotionSchedule'>, step: number, total: number): number {
  return c.pseudoMotionSchedule === 'linear' ? c.pseudoMotion * (1 - step / total) : c.pseudoMotion;
}

/** Gradients summed over ranks, then one optimiser step at the schedule's rate. */
export async function optimizerStep(t: Training, group: DistributedContext['group']): Promise<void> {
  await allReduceGradients(t.model.parameters(), group);
  t.opt.setLr(t.schedule.lr);
  t.opt.step();
  t.opt.zeroGrad();
  t.schedule.step();
}

/**
 * One turn of the event loop: the loader's finished clips are collected and its next ones started
 * (on the thread pool), so that they are prepared during this step's compute instead of after it.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Forward, loss and backward of one batch (its views freed); returns the loss value. */
export async function backwardStep(model: CvrlModel, views: Tensor[], c: PretrainConfig & { bf16: boolean }, rng: Rng, group: DistributedContext['group'], parts: Record<string, number>): Promise<number> {
  const l = await contrastiveLoss(model, views, c, rng, group, parts);
  try {
    await nextTurn();
    tidy(() => l.div(c.accumulate).backward());
    await nextTurn();
    return l.item();
  } finally {
    l.dispose();
    views.forEach((v) => v.dispose());
  }
}

/** Rank 0 writes checkpoints (a full disk skips one and retries at the next); the others name rank 0's file. */
class Checkpointer {
  last = '';
  #savedStep = -1;
  constructor(readonly runDir: string, readonly main: boolean, readonly t: Training, readonly keep: number, readonly log: RunLog) {}

  save(s: TrainState): void {
    if (!this.main) {
      this.last = join(this.runDir, 'checkpoints', checkpointName(s.step));
      return;
    }
    const file = this.log.disk.attempt('checkpoint', () => saveTrainCheckpoint(this.runDir, this.t.spec, this.t.model, this.t.opt, s, this.keep),
      `checkpoint at step ${s.step} not written; training continues and retries at the next checkpoint step; the last good checkpoint (${this.last || 'none yet'}) is kept`);
    if (file !== undefined) {
      this.#savedStep = s.step;
      this.last = file;
    }
  }

  /** The end of the run (finished or stopped): its step is checkpointed unless it already is. */
  final(s: TrainState): void {
    if (this.main ? this.#savedStep === s.step : this.last) return;
    this.save(s);
    if (this.main && this.#savedStep !== s.step) this.log.warn(`the final checkpoint (step ${s.step}) could not be written (disk full); the last good checkpoint is ${this.last || 'none'}: free space and run again with --resume`);
  }
}
