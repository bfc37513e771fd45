/**
 * CVRL pre-training, top to bottom: data -> two views -> encoder + head -> NT-Xent -> optimiser ->
 * metrics and checkpoints. Resumable: a killed run continues from its latest checkpoint with the
 * same losses as an uninterrupted one (CPU, same threads); SIGINT/SIGTERM checkpoint before exiting.
 *
 * Distributed (WORLD_SIZE > 1 in the environment, or `distributed` given): each rank reads its own
 * shard, the NT-Xent negatives are the global batch, gradients are summed over ranks before every
 * optimiser step, and rank 0 alone writes checkpoints, metrics, TensorBoard events and progress.
 * `batch` is per rank; the learning rate scales with batch x accumulate x world size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostname, cpus } from 'node:os';
import { tidy } from '../torch/scope.js';
import { manualSeed, setNumThreads, setRngState, info } from '../torch/runtime.js';
import { createModel } from '../models/registry.js';
import { type ModelSpec } from '../models/checkpoint.js';
import { type ResNet3d } from '../models/resnet3d.js';
import { CvrlModel } from '../ssl/cvrl-model.js';
import { contrastiveLoss } from '../ssl/contrastive-step.js';
import { Rng } from '../video/rng.js';
import { SGD } from '../optim/sgd.js';
import { LARS } from '../optim/lars.js';
import { weightDecayGroups } from '../optim/groups.js';
import { LrSchedule } from '../optim/schedule.js';
import { Optimizer } from '../optim/optimizer.js';
import { openDataset, type DatasetFormat, type VideoDataset } from '../video/dataset.js';
import { VideoLoader, VideoCache } from '../video/loader.js';
import { sceneDescriptors, balancedGroups } from '../video/scene-groups.js';
import { cvrlViewConfigs } from '../video/augment-params.js';
import { type PretrainConfig } from './config.js';
import { saveTrainCheckpoint, loadTrainCheckpoint, checkpointName, type TrainState } from './run-checkpoint.js';
import { initDistributed, broadcastModule, allReduceGradients, anyRank, parameterDigest as digest, sameOnAllRanks, sameDigest, type DistributedContext } from './distributed.js';
import { EventWriter } from '../formats/tensorboard.js';
import { Progress } from './progress.js';
import { CollapseWatch, chanceLoss } from './collapse-watch.js';
import { completeCheckpoints, removeStaleTemporaries, trimMetrics } from './run-files.js';
import { DiskFullPolicy, MetricsLog } from './disk-full.js';

export interface PretrainOptions {
  config: PretrainConfig;
  /** Continue from the run directory's latest checkpoint. */
  resume?: boolean;
  /** No progress output (metrics files are still written). */
  quiet?: boolean;
  /** Called on rank 0 every `knnEvery` steps and at the end; its values join metrics.jsonl (e.g. eval/knn-monitor's kNN top-1). */
  monitor?: (encoder: ResNet3d) => Promise<Record<string, number>>;
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
  const dist = o.distributed ?? await initDistributed();
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
  if (main) mkdirSync(runDir, { recursive: true });
  setNumThreads(c.threads);
  manualSeed(c.seed);
  const dataset = openDataset({ data: c.data, format: c.format as DatasetFormat, annotations: c.annotations, split: c.split });
  const spec: ModelSpec = { arch: c.arch, overrides: { ...(c.width !== undefined ? { width: c.width } : {}), ...(c.input !== 'rgb' ? { input: c.input } : {}) } };
  const model = new CvrlModel(createModel(c.arch, { ...spec.overrides, numClasses: 0 }), { hiddenDim: c.headHidden, outDim: c.headOut, hiddenLayers: c.headLayers });
  model.train();
  const effectiveBatch = c.batch * c.accumulate * worldSize;
  const lr = (c.lr * effectiveBatch) / c.lrBatch;
  const groups = weightDecayGroups<{ lr: number }>(model.namedParameters(), c.weightDecay);
  const opt: Optimizer<{ lr: number }> = c.optimizer === 'lars'
    ? new LARS(groups, { lr, momentum: c.momentum })
    : new SGD(groups, { lr, momentum: c.momentum });
  // Each rank's shard has ceil(videos / worldSize) positions (the loader pads the last round).
  const perRank = Math.ceil(dataset.items.length / worldSize);
  const stepsPerEpoch = Math.floor(Math.floor(perRank / c.batch) / c.accumulate);
  if (stepsPerEpoch < 1) throw new Error(`dataset has ${dataset.items.length} videos: fewer than one step of batch ${c.batch} x accumulate ${c.accumulate}${worldSize > 1 ? ` x ${worldSize} ranks` : ''}`);
  const totalSteps = Math.min(c.steps ?? Infinity, c.epochs * stepsPerEpoch);
  const schedule = new LrSchedule({ kind: 'warmup-cosine', lr, warmupSteps: Math.min(totalSteps, Math.round(c.warmupEpochs * stepsPerEpoch)), totalSteps });

  let pos: TrainState = { step: 0, epoch: 0, batchInEpoch: 0, scheduleStep: 0, optimizer: opt.stateDict().meta, config: c, lastLoss: NaN, worldSize };
  if (main) removeStaleTemporaries(runDir);
  const complete = completeCheckpoints(runDir).length > 0;
  if (o.resume && !complete) {
    throw new Error(`${runDir}: nothing to resume: checkpoints/ holds no complete checkpoint (the run stopped before its first one); start it afresh without --resume`);
  }
  if (o.resume) {
    const ck = loadTrainCheckpoint(runDir);
    model.encoder.loadStateDict(ck.encoder);
    model.head.loadStateDict(ck.head);
    opt.loadStateDict(ck.optimizer);
    schedule.loadState({ step: ck.state.scheduleStep });
    if (ck.rng) setRngState(ck.rng);
    // The data position only means something for the same data, order and batching.
    const before = ck.state.config as Partial<PretrainConfig>;
    const changed = (['data', 'format', 'annotations', 'split', 'seed', 'batch', 'accumulate', 'frames', 'stride', 'sceneBatches'] as const).filter((k) => before[k] !== c[k]);
    const diffs = changed.map((k) => `${k} (${JSON.stringify(before[k])} -> ${JSON.stringify(c[k])})`);
    // Each rank's shard and batches depend on the world size too.
    if ((ck.state.worldSize ?? 1) !== worldSize) diffs.push(`world size (${ck.state.worldSize ?? 1} -> ${worldSize})`);
    if (diffs.length) throw new Error(`${ck.file}: cannot resume with a different ${diffs.join(', ')}`);
    pos = { ...ck.state, config: c };
  } else if (complete) {
    throw new Error(`${runDir} already has checkpoints: pass --resume to continue it, or choose another --out`);
  }
  if (group) {
    // Every rank must continue from the same checkpoint (a shared --out directory); then rank 0's
    // parameters and buffers become everyone's, so the ranks start identical even on a fresh run.
    await sameOnAllRanks(group, 'the resumed step', pos.step, 'do all ranks see the same --out directory?');
    await broadcastModule(model, group);
  }
  if (main) {
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({
      config: c, resolved: { effectiveBatch, worldSize, perRankBatch: c.batch, lr, stepsPerEpoch, totalSteps, videos: dataset.items.length, classes: dataset.classes },
      environment: { node: process.version, host: hostname(), cpus: cpus().length, worldSize, torch: (({ buildConfig, ...rest }) => rest)(info()) },
    }, null, 2));
  }
  const metricsFile = join(runDir, 'metrics.jsonl');
  if (main) trimMetrics(metricsFile, pos.step);
  // Like PyTorch's purge_step: TensorBoard hides the crashed attempt's events from this step on.
  const tb = main ? new EventWriter(runDir, o.resume ? { purgeStep: pos.step + 1 } : {}) : null;
  const progress = new Progress(process.stderr, c.logEvery, o.quiet || !main);
  const warn = (m: string) => { progress.message(m); if (o.quiet) console.warn(`cvrl: ${m}`); };
  // A full disk costs logs or a checkpoint, not the run (README: "Full disk").
  const disk = new DiskFullPolicy(warn);
  const metrics = new MetricsLog(metricsFile, disk);
  const tbWrite = (f: (w: EventWriter) => void) => tb && disk.attempt('tensorboard', () => f(tb), `TensorBoard events (${tb.file}) not written; training continues`);
  const badVideo = (p: string, r: string) => main ? progress.message(`skipping unreadable video ${p}: ${r}`) : console.warn(`cvrl (rank ${dist.rank}): skipping unreadable video ${p}: ${r}`);
  // Rank 0 writes; the others report the file rank 0 writes for the same step.
  let savedStep = -1;
  const save = (s: TrainState): string => {
    if (!main) return join(runDir, 'checkpoints', checkpointName(s.step));
    const file = disk.attempt('checkpoint', () => saveTrainCheckpoint(runDir, spec, model, opt, s, c.keepCheckpoints),
      `checkpoint at step ${s.step} not written; training continues and retries at the next checkpoint step; the last good checkpoint (${checkpoint || 'none yet'}) is kept`);
    if (file !== undefined) savedStep = s.step;
    return file ?? checkpoint;
  };

  let stopSignal: string | null = null;
  let stopAt = 0;
  const onSignal = (sig: string) => () => {
    // A terminal's Ctrl-C reaches both bin/cvrl.js and this process, and the launcher forwards it
    // again: the same signal within half a second is one event.
    if (stopSignal === sig && performance.now() - stopAt < 500) return;
    // The first signal checkpoints at the next step; a second one (a hung read, an impatient user) exits now.
    if (stopSignal !== null) process.exit(130);
    stopSignal = sig;
    stopAt = performance.now();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);

  const [v1, v2] = cvrlViewConfigs(c.size, {
    cropArea: [c.cropAreaMin, 1], flipProb: c.flipProb, jitterProb: c.jitterProb, grayscaleProb: c.grayscaleProb,
    brightness: 0.8 * c.colorStrength, contrast: 0.8 * c.colorStrength, saturation: 0.8 * c.colorStrength, hue: c.hue ?? Math.min(0.5, 0.2 * c.colorStrength),
    consistent: c.consistent,
  });
  const views: [typeof v1, typeof v2] = [{ ...v1, blurProb: c.blurProb[0], solarizeProb: c.solarizeProb[0] }, { ...v2, blurProb: c.blurProb[1], solarizeProb: c.solarizeProb[1] }];
  const cache = new VideoCache();
  const sceneGroups = c.sceneBatches > 0 ? await sceneBatchGroups(dataset, Math.ceil((c.batch * worldSize) / c.sceneBatches), c, progress, main ? join(runDir, 'scene-groups.json') : null) : undefined;
  const watch = new CollapseWatch(chanceLoss(c.batch * worldSize, c.clipsPerVideo, (Number(c.staticNegatives) + Number(c.reverseNegatives)) * c.batch * worldSize));
  let checkpoint = '';
  let clips = 0, computeMs = 0, waitMs = 0, badVideos = 0;
  const t0 = performance.now();
  const stepsAtStart = pos.step;
  let lossSum = 0, lossCount = 0;

  try {
    outer: for (let epoch = pos.epoch; pos.step < totalSteps; epoch++) {
      const startBatch = epoch === pos.epoch ? pos.batchInEpoch : 0;
      const loader = new VideoLoader({
        dataset, mode: 'pretrain', batchSize: c.batch, frames: c.frames, stride: c.stride, size: c.size,
        decodeShortSide: c.decodeShortSide, augment: views, clipsPerVideo: c.clipsPerVideo, gapLaw: c.gapLaw, gapPower: c.gapPower,
        seed: c.seed, epoch, startBatch, groups: sceneGroups, parallelism: c.parallelism, prefetch: c.prefetch,
        rank: dist.rank, worldSize,
        onBadVideo: badVideo,
      }, cache);
      let b = startBatch;
      let tWait = performance.now();
      const usable = stepsPerEpoch * c.accumulate; // batches that end in an optimiser step
      for await (const batch of loader) {
        if (b >= usable) {
          batch.views.forEach((v) => v.dispose());
          break;
        }
        waitMs += performance.now() - tWait;
        const tc = performance.now();
        let loss: number;
        // The global batch's loss (identical on every rank); gradients reach this rank's rows only.
        const l = await contrastiveLoss(model, batch.views, c, Rng.from(c.seed, epoch, b, dist.rank, 0xc0), group);
        try {
          tidy(() => l.div(c.accumulate).backward());
          loss = l.item();
        } finally {
          l.dispose();
        }
        batch.views.forEach((v) => v.dispose());
        clips += c.clipsPerVideo * c.batch * worldSize;
        b++;
        if (!Number.isFinite(loss)) {
          throw new TrainingDiverged(`loss became ${loss} at step ${pos.step} (epoch ${epoch}, batch ${b}); the last good checkpoint is ${checkpoint || 'none (no checkpoint written yet)'}; lower --lr or check the data`);
        }
        lossSum += loss;
        lossCount++;
        if (b % c.accumulate === 0) {
          await allReduceGradients(model.parameters(), group);
          opt.setLr(schedule.lr);
          opt.step();
          opt.zeroGrad();
          schedule.step();
          const lrNow = schedule.lr;
          pos = { ...pos, step: pos.step + 1, epoch, batchInEpoch: b, scheduleStep: schedule.currentStep, lastLoss: lossSum / lossCount };
          computeMs += performance.now() - tc;
          const elapsed = (performance.now() - t0) / 1000;
          const rate = clips / elapsed;
          const stepsDone = pos.step - stepsAtStart;
          const m = { step: pos.step, epoch, loss: pos.lastLoss, lr: lrNow, clips_per_s: rate, data_wait_share: waitMs / (waitMs + computeMs), bad_videos: badVideos + loader.stats.badVideos, time: elapsed };
          if (main && o.monitor && c.knnEvery > 0 && (pos.step % c.knnEvery === 0 || pos.step >= totalSteps)) {
            const extra = await o.monitor(model.encoder);
            Object.assign(m, extra);
            tbWrite((w) => w.scalars(pos.step, Object.fromEntries(Object.entries(extra).map(([k, v]) => [`eval/${k}`, v]))));
          }
          if (main) metrics.append(m);
          tbWrite((w) => w.scalars(pos.step, { 'train/loss': m.loss, 'train/lr': lrNow, 'train/clips_per_s': rate, 'train/data_wait_share': m.data_wait_share }));
          const collapsed = main ? watch.update(pos.step, m.loss) : null;
          if (collapsed) {
            progress.message(collapsed);
            if (o.quiet) console.warn(`cvrl: ${collapsed}`);
          }
          progress.update({ step: pos.step, total: totalSteps, epoch, loss: m.loss, lr: lrNow, clipsPerSec: rate, dataWaitShare: m.data_wait_share, etaSec: ((totalSteps - pos.step) * elapsed) / Math.max(1, stepsDone) });
          lossSum = 0;
          lossCount = 0;
          // A signal seen by any rank stops every rank at the same step (one tiny all-reduce).
          const stopNow = await anyRank(stopSignal !== null, group) || (o.stopAfter !== undefined && stepsDone >= o.stopAfter);
          if (pos.step % c.checkpointEvery === 0 || pos.step >= totalSteps || stopNow) checkpoint = save(pos);
          if (stopNow || pos.step >= totalSteps) {
            badVideos += loader.stats.badVideos;
            break outer;
          }
        } else {
          computeMs += performance.now() - tc;
        }
        tWait = performance.now();
      }
      badVideos += loader.stats.badVideos;
      pos = { ...pos, epoch: epoch + 1, batchInEpoch: 0 };
    }
  } finally {
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    tbWrite((w) => w.close());
    progress.done();
  }
  const interrupted = stopSignal !== null || pos.step < totalSteps;
  if (main ? savedStep !== pos.step : !checkpoint) checkpoint = save(pos);
  if (main && savedStep !== pos.step) warn(`the final checkpoint (step ${pos.step}) could not be written (disk full); the last good checkpoint is ${checkpoint || 'none'}: free space and run again with --resume`);
  const clipsPerSec = clips / ((performance.now() - t0) / 1000);
  const parameterDigest = digest(model.parameters());
  if (group) await sameDigest(group, parameterDigest);
  return { runDir, steps: pos.step, finalLoss: pos.lastLoss, checkpoint, clipsPerSec, badVideos, interrupted, rank: dist.rank, worldSize, parameterDigest };
}

/** Groups of similar-looking videos, `size` each, for scene batches (see scene-groups.ts); rank 0 lists them in scene-groups.json. */
async function sceneBatchGroups(dataset: VideoDataset, size: number, c: PretrainConfig, progress: Progress, file: string | null): Promise<number[]> {
  progress.message(`scene batches: describing ${dataset.items.length} videos`);
  const desc = await sceneDescriptors(dataset, { parallelism: c.parallelism });
  const groups = balancedGroups(desc, size);
  progress.message(`scene batches: ${new Set(groups).size} groups of ${size} videos`);
  if (file) writeFileSync(file, JSON.stringify({ size, groups: dataset.items.map((it, i) => ({ path: it.path, group: groups[i] })) }, null, 1));
  return groups;
}
